import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMatchIndex, matchIndexOf } from '../../src/config/match-index.js';

/** The rule the index must keep: the first service in policy order whose every matcher equals the alert's label. */
function linear(services: Record<string, { match: Record<string, string> }>, labels: Record<string, string>): string | undefined {
  return Object.entries(services).find(([, s]) => Object.entries(s.match).every(([k, v]) => labels[k] === v))?.[0];
}

describe('the matcher index', () => {
  it('finds the service whose every matcher label equals the alert label', () => {
    const index = buildMatchIndex({
      api: { match: { service: 'api' } },
      'api-eu': { match: { service: 'api', region: 'eu' } },
      scorer: { match: { team: 'ml', job: 'scorer' } },
    });
    expect(index.find({ service: 'api', region: 'us' })).toBe('api');
    expect(index.find({ job: 'scorer', team: 'ml', alertname: 'X' })).toBe('scorer');
    expect(index.find({ job: 'scorer' })).toBeUndefined();
    expect(index.find({})).toBeUndefined();
  });

  it('lets the first service in policy order win when several match, whichever pair each is filed under', () => {
    const index = buildMatchIndex({
      narrow: { match: { region: 'eu', service: 'api' } },
      broad: { match: { service: 'api' } },
    });
    expect(index.find({ service: 'api', region: 'eu' })).toBe('narrow');
    expect(index.find({ service: 'api', region: 'us' })).toBe('broad');
  });

  it('agrees with a scan of every service on any policy and any alert', () => {
    const label = fc.constantFrom('service', 'team', 'job', 'region', 'env');
    const value = fc.constantFrom('a', 'b', 'c', '');
    const match = fc.dictionary(label, value, { minKeys: 1, maxKeys: 3 });
    const services = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.record({ match }), { maxKeys: 12 });
    fc.assert(fc.property(services, fc.dictionary(label, value, { maxKeys: 5 }), (svcs, labels) => {
      expect(buildMatchIndex(svcs).find(labels)).toBe(linear(svcs, labels));
    }), { numRuns: 500 });
  });

  it('is built once per policy object', () => {
    const services = { api: { match: { service: 'api' } } };
    expect(matchIndexOf(services)).toBe(matchIndexOf(services));
    expect(matchIndexOf({ ...services })).not.toBe(matchIndexOf(services));
  });
});

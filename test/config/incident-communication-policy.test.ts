/** The policy fields of the incident header and status updates: `dashboard` and `statusUpdate`. */
import { describe, expect, it } from 'vitest';
import { parsePolicy, resolveService } from '../../src/config/policy.js';
import { dashboardUrl } from '../../src/slack/views/incident-header.js';

const policy = (service: string, defaults = '') => `
${defaults}
services:
  fraud-scorer:
    match: { service: fraud-scorer }
    approvers: { users: [U0AAA] }
    adapter: { kind: local-registry, model: fraud-scorer }
    slis:
      - { name: accuracy, source: static, values: { v41: 0.91, v42: 0.8 }, comparator: lt, threshold: 0.85 }
${service}
`;

function problems(text: string) {
  const r = parsePolicy(text);
  return r.ok ? [] : r.problems;
}

describe('dashboard', () => {
  it('takes a URL template with {service}, {from} and {to}, filled in per incident', () => {
    const r = parsePolicy(policy('    dashboard: "https://grafana.example/d/abc?var-service={service}&from={from}&to={to}"'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const template = resolveService(r.policy, 'fraud-scorer')!.dashboard!;
    const incident = { openedAt: '2025-03-01T12:00:00.000Z', resolvedAt: null };
    const from = Date.parse('2025-03-01T11:20:00.000Z') - 30 * 60_000;
    expect(dashboardUrl(template, 'fraud-scorer', incident, '2025-03-01T11:20:00.000Z')).toBe(`https://grafana.example/d/abc?var-service=fraud-scorer&from=${from}&to=now`);
    const resolved = { openedAt: '2025-03-01T12:00:00.000Z', resolvedAt: '2025-03-01T13:00:00.000Z' };
    expect(dashboardUrl(template, 'fraud-scorer', resolved, null)).toContain(`to=${Date.parse('2025-03-01T13:10:00.000Z')}`);
  });

  it('refuses an unknown placeholder and a template that is not an http(s) URL, naming the field', () => {
    expect(problems(policy('    dashboard: "https://grafana.example/d/abc?var-service={svc}"'))).toEqual([
      { path: 'services.fraud-scorer.dashboard', message: expect.stringContaining('unknown placeholder {svc}') },
    ]);
    expect(problems(policy('    dashboard: "grafana.example/d/abc"'))).toEqual([
      { path: 'services.fraud-scorer.dashboard', message: expect.stringContaining('an http(s) URL template') },
    ]);
    expect(problems(policy('    dashboard: 42'))[0]!.path).toBe('services.fraud-scorer.dashboard');
  });
});

describe('statusUpdate', () => {
  it('is off by default, a duration per service, and settable in defaults', () => {
    const off = parsePolicy(policy(''));
    expect(off.ok && resolveService(off.policy, 'fraud-scorer')!.statusUpdate).toBeUndefined();
    const own = parsePolicy(policy('    statusUpdate: 30m'));
    expect(own.ok && resolveService(own.policy, 'fraud-scorer')!.statusUpdate).toBe(30 * 60_000);
    const fromDefaults = parsePolicy(policy('', 'defaults: { statusUpdate: 1h }'));
    expect(fromDefaults.ok && resolveService(fromDefaults.policy, 'fraud-scorer')!.statusUpdate).toBe(3_600_000);
    const both = parsePolicy(policy('    statusUpdate: 15m', 'defaults: { statusUpdate: 1h }'));
    expect(both.ok && resolveService(both.policy, 'fraud-scorer')!.statusUpdate).toBe(15 * 60_000);
  });

  it('refuses what is not a duration, and periods under a minute, naming the field', () => {
    expect(problems(policy('    statusUpdate: often'))).toEqual([
      { path: 'services.fraud-scorer.statusUpdate', message: expect.stringContaining('duration') },
    ]);
    expect(problems(policy('    statusUpdate: 10s'))).toEqual([{ path: 'services.fraud-scorer.statusUpdate', message: 'at least 1m, e.g. "30m"' }]);
    expect(problems(policy('', 'defaults: { statusUpdate: 5s }'))).toEqual([{ path: 'defaults.statusUpdate', message: 'at least 1m, e.g. "30m"' }]);
  });
});

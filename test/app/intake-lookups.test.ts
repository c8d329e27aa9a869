import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import type { Deps } from '../../src/app/deps.js';
import type { Repositories, StorePort } from '../../src/ports/store.js';
import { buildHarness, firingAlert } from '../support/harness.js';

/** The store, counting how often a transaction asks for a service's open incident and live proposal. */
function counting(store: StorePort) {
  const calls = { openFor: 0, hasLive: 0 };
  const wrapped: StorePort = Object.create(store) as StorePort;
  wrapped.tx = (fn) => store.tx((r: Repositories) => fn({
    ...r,
    incidents: { ...r.incidents, openFor: (s) => (calls.openFor++, r.incidents.openFor(s)) },
    proposals: { ...r.proposals, hasLive: (s) => (calls.hasLive++, r.proposals.hasLive(s)) },
  }));
  return { wrapped, calls };
}

describe('intake work per delivery', () => {
  it('looks up the open incident and the live proposal once per service in a delivery, however many alerts it carries', async () => {
    const h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-intake-')) });
    const { wrapped, calls } = counting(h.deps.store);
    const deps: Deps = { ...h.deps, store: wrapped };
    const alerts = Array.from({ length: 10 }, (_, i) => firingAlert({ fingerprint: `f${String(i).padStart(15, '0')}` }));
    const first = await handleAlerts(deps, alerts);
    expect(first).toMatchObject({ received: 10, new: 10 });
    expect(calls).toEqual({ openFor: 1, hasLive: 1 });
    await h.settle();
    expect(h.store.incidents.listOpen()).toHaveLength(1);
    expect(h.store.proposals.recent('fraud-scorer', 10)).toHaveLength(1);

    const more = Array.from({ length: 10 }, (_, i) => firingAlert({ fingerprint: `g${String(i).padStart(15, '0')}` }));
    const second = await handleAlerts(deps, more);
    await h.settle();
    expect(second).toMatchObject({ new: 10, incidents: first.incidents });
    expect(calls).toEqual({ openFor: 2, hasLive: 2 });
    expect(h.store.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { Repositories } from '../../../src/ports/store.js';
import { proposal } from '../../support/builders.js';
import type { Engine } from './engine.js';
import { alert, at, incident, seed, stores, T0 } from './fixtures.js';

/** One write to every repository, as a use case's transaction makes them. */
async function writeEverything(r: Repositories): Promise<void> {
  await r.incidents.insert(incident({ id: 'inc-2', service: 'other' }));
  await r.proposals.insert(proposal({ id: 'rb-2', incidentId: 'inc-2', service: 'other' }));
  await r.proposals.save({ ...(await r.proposals.get('rb-1'))!, state: 'approved', rev: 1 }, 0);
  await r.incidents.resolve('inc-1', at(1), 'U1');
  await r.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', T0);
  await r.audit.append({ at: T0, incidentId: 'inc-1', proposalId: 'rb-1', actor: 'U1', action: 'proposal.approved', details: {} });
  await r.outbox.enqueue('thread', { proposalId: 'rb-1' }, { text: 'approved' }, T0);
  await r.executions.start('rb-1', T0);
  await r.deploys.record({ service: 'fraud-scorer', version: 'v43', at: T0, by: 'ci' }, T0);
  await r.seen.remember('sig', T0);
  await r.measurements.add({ service: 'fraud-scorer', sli: 'accuracy', at: T0, verdict: 'ok', value: 1, baseline: 1, reason: 'ok' });
}

/** `tx` is all or nothing, hands over the only repositories to use inside it, and nests nothing. */
export function describeTransactions(engine: Engine): void {
  const db = stores(engine);

  describe('transactions', () => {
    it('rolls back every write of a transaction that throws, and passes the error on', async () => {
      const s = await db.fresh();
      const { store } = s;
      await seed(store);
      await expect(store.tx(async (r) => {
        await writeEverything(r);
        throw new Error('crash mid-way');
      })).rejects.toThrow('crash mid-way');

      expect(await store.incidents.get('inc-2')).toBeUndefined();
      expect(await store.proposals.get('rb-2')).toBeUndefined();
      expect(await store.proposals.get('rb-1')).toMatchObject({ state: 'pending', rev: 0 });
      expect(await store.incidents.get('inc-1')).toMatchObject({ status: 'open' });
      expect(await store.alerts.firingCount('inc-1')).toBe(0);
      expect(await store.audit.forIncident('inc-1')).toEqual([]);
      expect(await store.outbox.pending()).toBe(0);
      expect(await store.executions.get('rb-1')).toBeUndefined();
      expect(await store.deploys.recent('fraud-scorer')).toEqual([]);
      expect(await store.seen.remember('sig', T0)).toBe(true);
      expect(await store.measurements.since('fraud-scorer', 'accuracy', T0)).toEqual([]);
      expect(await s.verifyAudit()).toMatchObject({ ok: true, rows: 0 });
    });

    it('commits every write of a transaction that returns, and answers with its value', async () => {
      const s = await db.fresh();
      const { store } = s;
      await seed(store);
      expect(await store.tx(async (r) => {
        await writeEverything(r);
        // Reads inside see the transaction's own writes.
        return (await r.proposals.get('rb-1'))?.state;
      })).toBe('approved');
      expect(await store.incidents.get('inc-2')).toMatchObject({ service: 'other' });
      expect(await store.proposals.liveFor('other')).toMatchObject({ id: 'rb-2' });
      expect(await store.audit.forProposal('rb-1')).toHaveLength(1);
      expect(await store.outbox.pending()).toBe(1);
      expect(await store.seen.remember('sig', T0)).toBe(false);
      expect(await s.verifyAudit()).toMatchObject({ ok: true, rows: 1 });
    });

    it('undoes a failed statement with the rest of its transaction, and the store keeps working', async () => {
      const { store } = await db.fresh();
      await seed(store);
      await expect(store.tx(async (r) => {
        await r.deploys.record({ service: 'fraud-scorer', version: 'v43', at: T0, by: 'ci' }, T0);
        await r.proposals.insert(proposal({ id: 'rb-dup' }));
      })).rejects.toThrow();
      expect(await store.deploys.recent('fraud-scorer')).toEqual([]);
      await store.tx((r) => r.deploys.record({ service: 'fraud-scorer', version: 'v44', at: T0, by: 'ci' }, T0));
      expect((await store.deploys.recent('fraud-scorer')).map((d) => d.version)).toEqual(['v44']);
    });

    it('refuses the store itself and a nested transaction inside a transaction', async () => {
      const { store } = await db.fresh();
      await seed(store);
      await expect(store.tx(() => store.incidents.get('inc-1'))).rejects.toThrow(/inside a transaction/);
      await expect(store.tx(() => store.audit.append({ at: T0, incidentId: null, proposalId: null, actor: 'a', action: 'b', details: {} }))).rejects.toThrow(/inside a transaction/);
      await expect(store.tx(() => store.tx(() => Promise.resolve(1)))).rejects.toThrow(/nested/);
      expect(await store.tx(() => Promise.resolve('still fine'))).toBe('still fine');
      expect(await store.audit.forIncident('inc-1')).toEqual([]);
    });

    it('never shows a reader outside a transaction half of it', async () => {
      const { store } = await db.fresh();
      await seed(store);
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      let firstWritten!: () => void;
      const written = new Promise<void>((resolve) => (firstWritten = resolve));
      const writer = store.tx(async (r) => {
        await r.incidents.insert(incident({ id: 'inc-2', service: 'other' }));
        firstWritten();
        await gate;
        await r.proposals.insert(proposal({ id: 'rb-2', incidentId: 'inc-2', service: 'other' }));
      });
      await written;
      // Asked mid-transaction: SQLite answers once it commits, PostgreSQL at once from the last commit.
      const seen = Promise.all([store.incidents.get('inc-2'), store.proposals.get('rb-2')]);
      await new Promise((r) => setTimeout(r, 20));
      open();
      await writer;
      const [inc, prop] = await seen;
      expect(inc === undefined).toBe(prop === undefined);
    });
  });
}

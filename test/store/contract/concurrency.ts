import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/domain/incident.js';
import type { Proposal } from '../../../src/domain/proposal.js';
import type { StorePort } from '../../../src/ports/store.js';
import { proposal } from '../../support/builders.js';
import type { Engine, OpenStore } from './engine.js';
import { alert, at, incident, seed, stores, T0, winners } from './fixtures.js';

const N = 50;

/**
 * Racing writers, as two clicks on Approve, two triggers for one service or one alert delivered to
 * two replicas make them. With `replicas`, the racers are spread over two stores on one database,
 * each with its own connections, as two Backstop processes would be.
 */
export function describeConcurrency(engine: Engine, replicas: boolean): void {
  const db = stores(engine);
  const title = replicas ? 'two replicas on one database' : 'one store';

  /** The stores the racers use, in turn. */
  async function racers(): Promise<{ s: OpenStore; pick: (i: number) => StorePort }> {
    const s = await db.fresh();
    if (!replicas) return { s, pick: () => s.store };
    const other = await db.reopen(s);
    return { s, pick: (i) => (i % 2 === 0 ? s.store : other.store) };
  }

  describe(`concurrent writers (${title})`, () => {
    it(`lets exactly one of ${N} transactions that read the same revision save it`, async () => {
      const { s, pick } = await racers();
      await seed(s.store);
      const saved = await Promise.all(Array.from({ length: N }, (_, i) => pick(i).tx(async (r) => {
        const read = (await r.proposals.get('rb-1'))!;
        return r.proposals.save({ ...read, state: 'approved', rev: read.rev + 1, approvals: [{ user: `U${i}`, at: T0 }] }, 0);
      })));
      expect(saved.filter(Boolean)).toHaveLength(1);
      const winner = saved.indexOf(true);
      expect(await s.store.proposals.get('rb-1')).toMatchObject({ state: 'approved', rev: 1, approvals: [{ user: `U${winner}` }] });
    });

    it(`lets exactly one of ${N} compare-and-swaps outside a transaction win`, async () => {
      const { s, pick } = await racers();
      await seed(s.store);
      const read = (await s.store.proposals.get('rb-1'))!;
      const saved = await Promise.all(Array.from({ length: N }, (_, i) => pick(i).proposals.save({ ...read, state: i % 2 ? 'rejected' : 'approved', rev: 1 }, 0)));
      expect(saved.filter(Boolean)).toHaveLength(1);
      expect((await s.store.proposals.get('rb-1'))?.rev).toBe(1);
    });

    it('makes one live proposal of racing triggers, and shows every other trigger that one', async () => {
      const { s, pick } = await racers();
      await s.store.incidents.insert(incident());
      // As propose-rollback does: re-check inside the transaction, insert only if none is live.
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).tx(async (r): Promise<{ made: boolean; id: string }> => {
        const live = await r.proposals.liveFor('fraud-scorer');
        if (live) return { made: false, id: live.id };
        await r.proposals.insert(proposal({ id: `rb-${i}` }));
        await r.audit.append({ at: T0, incidentId: 'inc-1', proposalId: `rb-${i}`, actor: 'alert', action: 'proposal.created', details: {} });
        return { made: true, id: `rb-${i}` };
      })));
      const made = outcomes.filter((o) => o.made);
      expect(made).toHaveLength(1);
      expect(new Set(outcomes.map((o) => o.id))).toEqual(new Set([made[0]!.id]));
      expect((await s.store.proposals.forIncident('inc-1')).map((p: Proposal) => p.id)).toEqual([made[0]!.id]);
    });

    it('refuses all but one of racing inserts of a live proposal, even outside a transaction', async () => {
      const { s, pick } = await racers();
      await s.store.incidents.insert(incident());
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => pick(i).proposals.insert(proposal({ id: `rb-${i}` }))));
      expect(winners(results)).toHaveLength(1);
      expect(await s.store.proposals.forIncident('inc-1')).toHaveLength(1);
    });

    it('opens one incident for racing alerts of a service, and files every alert under it', async () => {
      const { s, pick } = await racers();
      // As handle-alerts does: join the open incident, or open one.
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).tx(async (r) => {
        let open: Incident | undefined = await r.incidents.openFor('fraud-scorer');
        if (!open) {
          open = incident({ id: `inc-${i}` });
          await r.incidents.insert(open);
        }
        await r.alerts.upsert(alert({ fingerprint: `fp-${i}` }), 'fraud-scorer', open.id, T0);
        return open.id;
      })));
      expect(new Set(ids).size).toBe(1);
      expect(await s.store.incidents.listOpen()).toHaveLength(1);
      expect(await s.store.alerts.firingCount(ids[0]!)).toBe(20);
    });

    it('refuses all but one of racing inserts of an open incident, even outside a transaction', async () => {
      const { s, pick } = await racers();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => pick(i).incidents.insert(incident({ id: `inc-${i}` }))));
      expect(winners(results)).toHaveLength(1);
      expect(await s.store.incidents.listOpen()).toHaveLength(1);
    });

    it('counts one delivery of an alert handed to many at once as new, and one of its resolutions as resolved', async () => {
      const { s, pick } = await racers();
      await s.store.incidents.insert(incident());
      const firing = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 3 === 0
        ? pick(i).tx((r) => r.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', at(i)))
        : pick(i).alerts.upsert(alert(), 'fraud-scorer', 'inc-1', at(i)))));
      expect(firing.filter((o) => o === 'new')).toHaveLength(1);
      expect(firing.filter((o) => o === 'duplicate')).toHaveLength(19);
      const resolved = alert({ status: 'resolved', endsAt: at(60) });
      const resolutions = await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).alerts.upsert(resolved, 'fraud-scorer', 'inc-1', at(60 + i))));
      expect(resolutions.filter((o) => o === 'resolved')).toHaveLength(1);
      expect(resolutions.filter((o) => o === 'already_resolved')).toHaveLength(19);
    });

    it('remembers a replayed request once however many receive it at once', async () => {
      const { pick } = await racers();
      const first = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? pick(i).seen.remember('v0=abc', T0) : pick(i).tx((r) => r.seen.remember('v0=abc', T0)))));
      expect(first.filter(Boolean)).toHaveLength(1);
    });

    it('starts one execution record however many start it at once', async () => {
      const { s, pick } = await racers();
      await seed(s.store);
      await Promise.all(Array.from({ length: 20 }, (_, i) => pick(i).executions.start('rb-1', at(i))));
      expect(await s.store.executions.get('rb-1')).toMatchObject({ attempts: 0 });
    });

    it(`keeps the audit trail one intact chain under ${N} concurrent appenders`, async () => {
      const { s, pick } = await racers();
      await seed(s.store);
      await Promise.all(Array.from({ length: N }, (_, i) => (i % 5 === 4
        ? pick(i).audit.append({ at: at(i), incidentId: 'inc-1', proposalId: null, actor: `w${i}`, action: 'step', details: { i } })
        : pick(i).tx(async (r) => {
          await r.audit.append({ at: at(i), incidentId: 'inc-1', proposalId: 'rb-1', actor: `w${i}`, action: 'step', details: { i, part: 1 } });
          await r.outbox.enqueue('thread', { proposalId: 'rb-1' }, { text: `w${i}` }, at(i));
          await r.audit.append({ at: at(i), incidentId: 'inc-1', proposalId: 'rb-1', actor: `w${i}`, action: 'step', details: { i, part: 2 } });
        }))));
      const rows = N + (N - N / 5);
      expect(await s.verifyAudit()).toEqual({ ok: true, rows, legacy: 0, keyed: rows, afterAnchor: null });
      const chain = await s.store.audit.forIncident('inc-1');
      expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
      // A transaction's two rows are adjacent: appends take turns by transaction, not by row.
      for (const e of chain.filter((x) => x.details.part === 1)) {
        expect(chain[e.seq]).toMatchObject({ actor: e.actor, details: { part: 2 } });
      }
    });
  });
}

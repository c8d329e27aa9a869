import { describe, expect, it } from 'vitest';
import { proposal } from '../../support/builders.js';
import type { Engine } from './engine.js';
import { alert, asRead, at, fullProposal, incident, seed, stores, T0 } from './fixtures.js';

/** Incidents, proposals and alerts: what is written is what is read back, and every query finds what it should. */
export function describeRecords(engine: Engine): void {
  const db = stores(engine);

  describe('incidents', () => {
    it('round-trips an incident and finds it by service, channel and PagerDuty incident', async () => {
      const { store } = await db.fresh();
      const inc = incident({ channelId: null });
      await store.incidents.insert(inc);
      expect(await store.incidents.get('inc-1')).toEqual(inc);
      expect(await store.incidents.get('nope')).toBeUndefined();
      expect(await store.incidents.openFor('fraud-scorer')).toEqual(inc);

      await store.incidents.setChannel('inc-1', 'C9');
      await store.incidents.setChannel('inc-1', 'C10');
      expect((await store.incidents.get('inc-1'))?.channelId).toBe('C9');
      expect(await store.incidents.byChannel('C9')).toMatchObject({ id: 'inc-1' });

      expect(await store.incidents.pagerDutyIncident('inc-1')).toBeNull();
      await store.incidents.linkPagerDuty('inc-1', 'PD1');
      await store.incidents.linkPagerDuty('inc-1', 'PD2');
      expect(await store.incidents.pagerDutyIncident('inc-1')).toBe('PD1');
      expect(await store.incidents.byPagerDuty('PD1')).toMatchObject({ id: 'inc-1' });
      expect(await store.incidents.byPagerDuty('PD2')).toBeUndefined();

      await store.incidents.setPostmortemPath('inc-1', '/pm/inc-1.md');
      expect((await store.incidents.get('inc-1'))?.postmortemPath).toBe('/pm/inc-1.md');
    });

    it('resolves an incident once, and lists open incidents oldest first', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident({ id: 'inc-b', service: 'b', openedAt: at(20) }));
      await store.incidents.insert(incident({ id: 'inc-a', service: 'a', openedAt: at(10) }));
      await store.incidents.insert(incident({ id: 'inc-c', service: 'c', openedAt: at(30) }));
      expect((await store.incidents.listOpen()).map((i) => i.id)).toEqual(['inc-a', 'inc-b', 'inc-c']);

      expect(await store.incidents.resolve('inc-b', at(40), 'alerts')).toBe(true);
      expect(await store.incidents.resolve('inc-b', at(50), 'U1')).toBe(false);
      expect(await store.incidents.get('inc-b')).toMatchObject({ status: 'resolved', resolvedAt: at(40), resolvedBy: 'alerts' });
      expect((await store.incidents.listOpen()).map((i) => i.id)).toEqual(['inc-a', 'inc-c']);
      expect(await store.incidents.openFor('b')).toBeUndefined();
    });

    it('answers a channel with its open incident before newer resolved ones', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident({ id: 'inc-old', openedAt: at(0) }));
      await store.incidents.insert(incident({ id: 'inc-new', service: 'other', status: 'resolved', openedAt: at(60), resolvedAt: at(70), resolvedBy: 'U1' }));
      expect((await store.incidents.byChannel('C1'))?.id).toBe('inc-old');
      await store.incidents.resolve('inc-old', at(80), 'U1');
      expect((await store.incidents.byChannel('C1'))?.id).toBe('inc-new');
    });

    it('refuses a second open incident for a service, and allows one once the first is resolved', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      await expect(store.incidents.insert(incident({ id: 'inc-2' }))).rejects.toThrow();
      await store.incidents.resolve('inc-1', at(60), 'alerts');
      await store.incidents.insert(incident({ id: 'inc-2', openedAt: at(90) }));
      expect((await store.incidents.openFor('fraud-scorer'))?.id).toBe('inc-2');
    });
  });

  describe('proposals', () => {
    it('round-trips a proposal with every field set, and one with none of the optional ones', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      const full = fullProposal();
      await store.proposals.insert(full);
      expect(await store.proposals.get('rb-full')).toEqual(full);
      const bare = proposal({ id: 'rb-bare', service: 'other' });
      await store.proposals.insert(bare);
      expect(await store.proposals.get('rb-bare')).toEqual(asRead(bare));
      expect(await store.proposals.get('nope')).toBeUndefined();
    });

    it('saves what a decision changes, only from the revision it read', async () => {
      const { store } = await db.fresh();
      await seed(store);
      const read = (await store.proposals.get('rb-1'))!;
      const next = { ...read, state: 'approved' as const, rev: 1, approvals: [{ user: 'U1', at: at(5) }], decidedAt: at(5), decidedBy: 'U1', decisionReason: 'ok', breakGlass: 'why', readBack: { status: 'unsupported' as const, version: null, detail: 'n/a' } };
      expect(await store.proposals.save(next, 0)).toBe(true);
      expect(await store.proposals.save({ ...next, state: 'rejected', rev: 1 }, 0)).toBe(false);
      expect(await store.proposals.get('rb-1')).toEqual(asRead(next));
      await store.proposals.setMessageTs('rb-1', '1700000000.1');
      expect((await store.proposals.get('rb-1'))?.messageTs).toBe('1700000000.1');
    });

    it('finds the live proposal of a service, and none once it is final', async () => {
      const { store } = await db.fresh();
      await seed(store);
      expect(await store.proposals.hasLive('fraud-scorer')).toBe(true);
      expect((await store.proposals.liveFor('fraud-scorer'))?.id).toBe('rb-1');
      expect(await store.proposals.hasLive('other')).toBe(false);
      await expect(store.proposals.insert(proposal({ id: 'rb-2' }))).rejects.toThrow();
      await store.proposals.save({ ...(await store.proposals.get('rb-1'))!, state: 'rejected', rev: 1 }, 0);
      expect(await store.proposals.hasLive('fraud-scorer')).toBe(false);
      expect(await store.proposals.liveFor('fraud-scorer')).toBeUndefined();
      await store.proposals.insert(proposal({ id: 'rb-2', createdAt: at(60) }));
      expect((await store.proposals.liveFor('fraud-scorer'))?.id).toBe('rb-2');
    });

    it('lists proposals by incident, state, recency, due times and executions', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      const final = (id: string, s: number, over = {}) => proposal({ id, state: 'failed', createdAt: at(s), expiresAt: at(s + 1800), ...over });
      await store.proposals.insert(final('rb-a', 0, { executedAt: at(100) }));
      await store.proposals.insert(final('rb-b', 10, { executedAt: at(300) }));
      await store.proposals.insert(final('rb-c', 20, { state: 'rejected' }));
      await store.proposals.insert(proposal({ id: 'rb-d', createdAt: at(30), expiresAt: at(60), automatic: true, autoExecuteAt: at(45) }));
      await store.proposals.insert(proposal({ id: 'rb-e', service: 'other', createdAt: at(40), expiresAt: at(600) }));

      expect((await store.proposals.forIncident('inc-1')).map((p) => p.id)).toEqual(['rb-a', 'rb-b', 'rb-c', 'rb-d', 'rb-e']);
      expect((await store.proposals.inState('failed')).map((p) => p.id)).toEqual(['rb-a', 'rb-b']);
      expect((await store.proposals.recent('fraud-scorer', 2)).map((p) => p.id)).toEqual(['rb-d', 'rb-c']);
      expect((await store.proposals.executedFor('fraud-scorer')).map((p) => p.id)).toEqual(['rb-b', 'rb-a']);
      expect((await store.proposals.executedFor('fraud-scorer', 1)).map((p) => p.id)).toEqual(['rb-b']);

      expect(await store.proposals.dueToAutoExecute(at(44))).toEqual([]);
      expect((await store.proposals.dueToAutoExecute(at(45))).map((p) => p.id)).toEqual(['rb-d']);
      expect(await store.proposals.dueToExpire(at(59))).toEqual([]);
      expect((await store.proposals.dueToExpire(at(60))).map((p) => p.id)).toEqual(['rb-d']);
      expect((await store.proposals.dueToExpire(at(3600))).map((p) => p.id).sort()).toEqual(['rb-d', 'rb-e']);
    });
  });

  describe('alerts', () => {
    it('counts only the first firing and the first resolution of an alert', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      expect(await store.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', T0)).toBe('new');
      expect(await store.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', at(30))).toBe('duplicate');
      expect(await store.alerts.firingCount('inc-1')).toBe(1);
      const resolved = alert({ status: 'resolved', endsAt: at(60) });
      expect(await store.alerts.upsert(resolved, 'fraud-scorer', 'inc-1', at(60))).toBe('resolved');
      expect(await store.alerts.upsert(resolved, 'fraud-scorer', 'inc-1', at(90))).toBe('already_resolved');
      expect(await store.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', at(120))).toBe('duplicate');
      expect(await store.alerts.firingCount('inc-1')).toBe(0);
      // The same fingerprint firing again later is a new alert.
      expect(await store.alerts.upsert(alert({ startsAt: at(200) }), 'fraud-scorer', 'inc-1', at(200))).toBe('new');
    });

    it('records a resolution seen before its firing as resolved, and keeps the incident of each alert', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      expect(await store.alerts.upsert(alert({ fingerprint: 'fp-r', status: 'resolved', endsAt: at(5) }), null, null, at(5))).toBe('resolved');
      expect(await store.alerts.incidentOf('fp-r', T0)).toBeNull();
      await store.alerts.upsert(alert(), 'fraud-scorer', 'inc-1', T0);
      expect(await store.alerts.incidentOf('fp-1', T0)).toBe('inc-1');
      expect(await store.alerts.incidentOf('fp-1', at(1))).toBeNull();
    });

    it('names the alerts of an incident in the order they arrived', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      await store.alerts.upsert(alert({ fingerprint: 'b', name: 'LatencyHigh' }), 'fraud-scorer', 'inc-1', T0);
      await store.alerts.upsert(alert({ fingerprint: 'a', name: 'ModelAccuracyDrop' }), 'fraud-scorer', 'inc-1', T0);
      await store.alerts.upsert(alert({ fingerprint: 'c', name: 'ErrorsHigh' }), 'fraud-scorer', 'inc-1', at(1));
      expect(await store.alerts.names('inc-1')).toEqual(['LatencyHigh', 'ModelAccuracyDrop', 'ErrorsHigh']);
      expect(await store.alerts.firingCount('inc-1')).toBe(3);
    });
  });
}

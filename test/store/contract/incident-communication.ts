import { describe, expect, it } from 'vitest';
import type { Engine } from './engine.js';
import { alert, at, incident, stores, T0, winners } from './fixtures.js';

/** What the incident header and status updates need: header ts, the status-update claim, alerts with their links, header streams. */
export function describeIncidentCommunication(engine: Engine): void {
  const db = stores(engine);

  describe('incident header and status updates', () => {
    it('records the header message, and reads an incident without one as null', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      expect(await store.incidents.get('inc-1')).toMatchObject({ headerTs: null, statusUpdateAt: null });
      await store.incidents.setHeaderTs('inc-1', '1700000000.000100');
      expect((await store.incidents.get('inc-1'))?.headerTs).toBe('1700000000.000100');
      expect((await store.incidents.listOpen())[0]?.headerTs).toBe('1700000000.000100');
    });

    it('claims each status update once: only from the value read, only while open', async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      expect(await store.incidents.claimStatusUpdate('inc-1', null, at(1800))).toBe(true);
      // A second sweep (or a restarted bot) that read the old value loses.
      expect(await store.incidents.claimStatusUpdate('inc-1', null, at(1801))).toBe(false);
      expect((await store.incidents.get('inc-1'))?.statusUpdateAt).toBe(at(1800));
      expect(await store.incidents.claimStatusUpdate('inc-1', at(1800), at(3600))).toBe(true);
      // Racing claims from the same read: one wins.
      const raced = await Promise.allSettled([1, 2, 3, 4].map((i) => store.tx((r) => r.incidents.claimStatusUpdate('inc-1', at(3600), at(5400 + i)))));
      expect(winners(raced).filter(Boolean)).toHaveLength(1);
      const last = (await store.incidents.get('inc-1'))!.statusUpdateAt!;
      await store.incidents.resolve('inc-1', at(6000), 'alerts');
      expect(await store.incidents.claimStatusUpdate('inc-1', last, at(7200))).toBe(false);
    });

    it("lists an incident's alerts in arrival order, with generatorURL and status", async () => {
      const { store } = await db.fresh();
      await store.incidents.insert(incident());
      await store.alerts.upsert(alert({ generatorUrl: 'http://prometheus.example:9090/graph?g0.expr=up' }), 'fraud-scorer', 'inc-1', T0);
      await store.alerts.upsert(alert({ fingerprint: 'fp-2', name: 'LatencyHigh', summary: null, severity: null }), 'fraud-scorer', 'inc-1', at(1));
      await store.alerts.upsert(alert({ fingerprint: 'fp-3' }), 'other', null, at(2));
      await store.alerts.upsert(alert({ status: 'resolved', endsAt: at(60) }), 'fraud-scorer', 'inc-1', at(60));
      expect(await store.alerts.forIncident('inc-1')).toEqual([
        { name: 'ModelAccuracyDrop', severity: 'critical', summary: 'accuracy below 0.85', status: 'resolved', startsAt: T0, generatorUrl: 'http://prometheus.example:9090/graph?g0.expr=up' },
        { name: 'LatencyHigh', severity: null, summary: null, status: 'firing', startsAt: T0, generatorUrl: null },
      ]);
      expect(await store.alerts.forIncident('inc-none')).toEqual([]);
      expect((await store.alerts.forIncident('inc-1', 1)).map((x) => x.name)).toEqual(['ModelAccuracyDrop']);
      expect(await store.alerts.tally('inc-1')).toEqual({ firing: 1, total: 2 });
      expect(await store.alerts.tally('inc-none')).toEqual({ firing: 0, total: 0 });
    });

    it('keeps one stream per incident header, and merges its queued updates into one', async () => {
      const { store } = await db.fresh();
      const first = await store.outbox.enqueue('update_incident', { incidentId: 'inc-1' }, { text: 'incident header' }, T0);
      const second = await store.outbox.enqueue('update_incident', { incidentId: 'inc-1' }, { text: 'header update' }, at(1), 1);
      const third = await store.outbox.enqueue('update_incident', { incidentId: 'inc-1' }, { text: 'header update' }, at(2), 1);
      const under = await store.outbox.enqueue('thread', { incidentId: 'inc-1' }, { text: 'status' }, at(3), 1);
      const other = await store.outbox.enqueue('update_incident', { incidentId: 'inc-2' }, { text: 'incident header' }, at(4));
      const heads = await store.outbox.heads();
      expect(heads.map((h) => h.id)).toEqual([first, other]);
      expect(heads[0]).toMatchObject({ kind: 'update_incident', incidentId: 'inc-1', channelId: null, proposalId: null });

      expect(await store.outbox.laterIncidentUpdate('inc-1', first)).toBe(third);
      expect(await store.outbox.laterIncidentUpdate('inc-1', third)).toBeUndefined();
      expect(await store.outbox.laterIncidentUpdate('inc-2', 0)).toBe(other);
      await store.outbox.markIncidentUpdatesSent('inc-1', third, at(5));
      // The status update under the header waited behind it, in the same stream.
      expect((await store.outbox.heads()).map((h) => h.id)).toEqual([other, under]);
      expect(await store.outbox.laterIncidentUpdate('inc-1', 0)).toBeUndefined();
      expect(second).toBeLessThan(third);
      expect(await store.outbox.pending()).toBe(2);
    });
  });
}

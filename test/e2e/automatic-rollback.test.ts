/**
 * Automatic rollback end to end: announced with a Stop button, executed as `policy` after the
 * grace period, or cancelled by an approver's Stop.
 */
import { LocalRegistry } from '../../src/adapters/local-registry/registry.js';
import { systemClock } from '../../src/runtime/system-clock.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_APPROVE, ACTION_STOP } from '../../src/slack/ids.js';
import { CHANNEL, startFixture, USERS, type Fixture } from '../support/bot-fixture.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({
    sweepIntervalMs: 100,
    seed: (r) => {
      for (const v of ['a1', 'a2', 'a3']) r.register('auto-model', v);
      r.promote('auto-model', 'a1', { actor: 'ci', reason: 'release' });
      r.promote('auto-model', 'a2', { actor: 'ci', reason: 'release' });
    },
    extraPolicy: `
  auto-scorer:
    match: { service: auto-scorer }
    channel: ${CHANNEL.id}
    approvers: { users: [${USERS.alice.id}, ${USERS.bob.id}] }
    adapter: { kind: local-registry, model: auto-model }
    slis:
      - { name: accuracy, source: static, values: { a1: 0.91, a2: 0.80, a3: 0.79 }, comparator: lt, threshold: 0.85 }
    decision: { mode: automatic, grace: 1500ms, automaticSeverities: [critical], cooldown: 0s, pingPongWindow: 0s }
`,
  });
});
afterAll(() => fx?.stop());

function alert(status: 'firing' | 'resolved', startsAt: string, severity = 'critical') {
  const labels = { alertname: 'AccuracyDrop', service: 'auto-scorer', severity };
  return {
    receiver: 'backstop', status, version: '4', groupKey: '{}:{alertname="AccuracyDrop"}', truncatedAlerts: 0, groupLabels: {}, commonLabels: labels, commonAnnotations: {}, externalURL: '',
    alerts: [{ status, labels, annotations: { summary: 'accuracy dropped' }, startsAt, endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'a0a0a0a0a0a0a0a0' }],
  };
}

const rollbacks = () => fx.bot.sqlite.db.prepare("SELECT count(*) FROM registry_history WHERE model = 'auto-model' AND kind = 'rollback'").pluck().get() as number;
const latestProposalMessage = () => fx.emu.messages(CHANNEL.id, { topLevel: true }).filter((m) => m.text.startsWith('Rollback proposal for auto-scorer')).at(-1);

describe('automatic rollback', () => {
  it('is cancelled by an approver pressing Stop during the grace period', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    expect((await fx.postAlerts(alert('firing', startsAt))).status).toBe(200);
    const msg = await fx.emu.waitFor(latestProposalMessage, 5000, 'automatic proposal');
    expect(JSON.stringify(msg.blocks)).toContain('Automatic rollback at');
    expect(JSON.stringify(msg.blocks)).toContain(ACTION_STOP);
    // A non-approver cannot stop it.
    await fx.slack.click(USERS.mallory, CHANNEL, msg, ACTION_STOP);
    await fx.emu.waitFor(() => fx.emu.ephemerals(USERS.mallory.id).find((e) => e.text.startsWith('Not stopped')), 5000, 'mallory refused');
    await fx.slack.click(USERS.bob, CHANNEL, msg, ACTION_STOP);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('auto-scorer', 1)[0]?.state === 'rejected' || undefined, 5000, 'stopped');
    await new Promise((r) => setTimeout(r, 2000));
    await fx.bot.settled();
    expect(rollbacks()).toBe(0);
    expect(fx.emu.thread(CHANNEL.id, msg.ts).map((m) => m.text).join('\n')).toContain(`Stopped by <@${USERS.bob.id}>`);
    expect((await fx.postAlerts(alert('resolved', startsAt))).status).toBe(200);
    await fx.emu.waitFor(() => fx.bot.sqlite.incidents.openFor('auto-scorer') === undefined || undefined, 5000, 'incident closed');
  });

  it('proceeds after the grace period as actor policy, and verifies', async () => {
    expect((await fx.postAlerts(alert('firing', new Date().toISOString()))).status).toBe(200);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.recent('auto-scorer', 1)[0]?.state === 'verified' || undefined, 10_000, 'automatic rollback verified');
    await fx.bot.settled();
    expect(rollbacks()).toBe(1);
    const p = fx.bot.sqlite.proposals.recent('auto-scorer', 1)[0]!;
    expect(p).toMatchObject({ automatic: true, decidedBy: 'policy', approvals: [] });
    const audit = fx.bot.sqlite.audit.forProposal(p.id);
    expect(audit.find((e) => e.action === 'proposal.auto_approved')?.actor).toBe('policy');
  });

  it('asks people instead when the alert severity does not allow automatic action', async () => {
    // Close the previous incident the way Alertmanager would: its alert resolves.
    const previous = fx.bot.sqlite.db.prepare("SELECT starts_at FROM alerts WHERE service = 'auto-scorer' AND status = 'firing'").pluck().get() as string;
    await fx.postAlerts(alert('resolved', previous));
    await fx.emu.waitFor(() => fx.bot.sqlite.incidents.openFor('auto-scorer') === undefined || undefined, 5000, 'incident closed');
    new LocalRegistry(fx.bot.sqlite.db, systemClock).promote('auto-model', 'a3', { actor: 'ci', reason: 'release' });
    const warning = { ...alert('firing', new Date(Date.now() + 1000).toISOString(), 'warning') };
    warning.alerts[0]!.fingerprint = 'b0b0b0b0b0b0b0b0';
    expect((await fx.postAlerts(warning)).status).toBe(200);
    await fx.emu.waitFor(() => fx.bot.sqlite.proposals.liveFor('auto-scorer'), 5000, 'proposal');
    const p = fx.bot.sqlite.proposals.liveFor('auto-scorer')!;
    expect(p.automatic).toBe(false);
    await new Promise((r) => setTimeout(r, 1800));
    expect(fx.bot.sqlite.proposals.get(p.id)!.state).toBe('pending');
    const msg = await fx.emu.waitFor(latestProposalMessage, 5000, 'message');
    expect(JSON.stringify(msg.blocks)).toContain(ACTION_APPROVE);
  });
});

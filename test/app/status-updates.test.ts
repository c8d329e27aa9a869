/**
 * Timed status updates (policy `statusUpdate`) on a fake clock: one per period while the incident
 * is open, in the proposal's thread (or under the header before any proposal), none after it
 * resolves, and never twice for one period, whether two sweeps race or the bot restarts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordStep } from '../../src/app/record-step.js';
import { postStatusUpdates } from '../../src/app/status-updates.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { buildHarness, firingAlert, POLICY_YAML } from '../support/harness.js';

const MIN = 60_000;
const withStatusUpdates = POLICY_YAML.replace('    runbook: https://runbooks.example/fraud-scorer', '    runbook: https://runbooks.example/fraud-scorer\n    statusUpdate: 30m');

function harness() {
  return buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-status-')), policyYaml: withStatusUpdates });
}

describe('status updates', () => {
  it('posts one per period in the proposal thread while open, saying what fires, the SLIs and what Backstop waits for', async () => {
    const h = harness();
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    const proposal = h.store.proposals.liveFor('fraud-scorer')!;
    const updates = () => h.chat.thread(proposal.messageTs!).filter((m) => m.text.includes('📣'));

    expect(await postStatusUpdates(h.deps)).toBe(0);
    h.clock.advance(29 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(0);
    h.clock.advance(1 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(1);
    await h.settle();
    expect(updates()).toHaveLength(1);
    const text = updates()[0]!.text;
    expect(text).toContain('Status of fraud-scorer');
    expect(text).toContain('1 alert(s) firing (ModelAccuracyDrop)');
    expect(text).toContain('accuracy breach');
    expect(text).toContain('Waiting for approvals of the rollback v42 → v41: 0/2');
    // Also an audit row, with the fact.
    expect(h.store.audit.forIncident(proposal.incidentId).filter((e) => e.action === 'incident.status_update')).toHaveLength(1);

    // Within the period: nothing more, however often the sweep runs.
    h.clock.advance(10 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(0);
    h.clock.advance(20 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(1);
    await h.settle();
    expect(updates()).toHaveLength(2);

    // Resolved: no more updates.
    await handleAlerts(h.deps, [firingAlert({ status: 'resolved' })]);
    await h.settle();
    expect(h.store.incidents.listOpen()).toHaveLength(0);
    h.clock.advance(60 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(0);
    await h.settle();
    expect(updates()).toHaveLength(2);
  });

  it('never posts one period twice: racing sweeps, or a restart reading the same database', async () => {
    const h = harness();
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    h.clock.advance(30 * MIN);
    const [a, b] = await Promise.all([postStatusUpdates(h.deps), postStatusUpdates(h.deps)]);
    expect(a + b).toBe(1);
    // A restarted bot: a new store port over the same database, same clock.
    const restarted = { ...h.deps, store: new SqliteStore(h.store) };
    expect(await postStatusUpdates(restarted)).toBe(0);
    h.clock.advance(5 * MIN);
    expect(await postStatusUpdates(restarted)).toBe(0);
    await h.settle();
    const proposal = h.store.proposals.liveFor('fraud-scorer')!;
    expect(h.chat.thread(proposal.messageTs!).filter((m) => m.text.includes('📣'))).toHaveLength(1);
  });

  it('threads under the incident header when there is no proposal, and is off without statusUpdate', async () => {
    const h = harness();
    const now = h.clock.now().toISOString();
    await h.deps.store.tx(async (r) => {
      await r.incidents.insert({ id: 'inc-x', service: 'fraud-scorer', status: 'open', title: 'latency', severity: 'warning', channelId: null, openedAt: now, resolvedAt: null, resolvedBy: null, postmortemPath: null });
      await recordStep(h.deps, r, { incidentId: 'inc-x', proposalId: null, actor: 'U0ALICE', fact: { action: 'incident.opened', incidentId: 'inc-x', service: 'fraud-scorer', title: 'latency', by: { kind: 'user', user: 'U0ALICE' } } });
    });
    await h.settle();
    const header = h.chat.posts.find((p) => !p.threadTs)!;
    expect(header.channel).toBe('C0INCIDENT');
    expect(header.text).toContain('Incident fraud-scorer (warning)');
    h.clock.advance(30 * MIN);
    expect(await postStatusUpdates(h.deps)).toBe(1);
    await h.settle();
    const under = h.chat.thread(header.ts);
    expect(under).toHaveLength(1);
    expect(under[0]!.text).toContain('No rollback proposed yet');

    const off = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-status-')) });
    await handleAlerts(off.deps, [firingAlert()]);
    await off.settle();
    off.clock.advance(24 * 60 * MIN);
    expect(await postStatusUpdates(off.deps)).toBe(0);
  });
});

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { expireProposals } from '../../src/app/expire-proposals.js';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { requestRollback } from '../../src/app/request-rollback.js';
import { resolveIncident } from '../../src/app/resolve-incident.js';
import { buildHarness, firingAlert } from '../support/harness.js';
import { isIncidentHeader, proposalPost } from '../support/messages.js';

let h: ReturnType<typeof buildHarness>;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backstop-pm-'));
  h = buildHarness({ postmortemDir: dir });
});

async function proposeFromAlert() {
  await handleAlerts(h.deps, [firingAlert(), firingAlert({ fingerprint: '8447eb3cf3b98b25' })]);
  await h.settle();
  const p = h.store.proposals.liveFor('fraud-scorer');
  if (!p) throw new Error('no proposal');
  return p;
}

describe('alert intake', () => {
  it('groups firing alerts of one service into one incident and one proposal', async () => {
    const p = await proposeFromAlert();
    expect(h.store.incidents.listOpen()).toHaveLength(1);
    expect(p).toMatchObject({ fromVersion: 'v42', toVersion: 'v41', state: 'pending', requiredApprovals: 2, channelId: 'C0INCIDENT' });
    expect(p.sliBefore[0]).toMatchObject({ name: 'accuracy', baseline: 0.91, current: 0.8, verdict: 'breach' });
    // The incident header, then the proposal.
    const posted = h.chat.posts.filter((m) => !m.threadTs && !isIncidentHeader(m));
    expect(posted).toHaveLength(1);
    expect(h.chat.posts.filter((m) => !m.threadTs).findIndex(isIncidentHeader)).toBe(0);
    expect(JSON.stringify(posted[0]!.blocks)).toContain('backstop_approve');
  });

  it('dedupes repeated deliveries of the same alert', async () => {
    await proposeFromAlert();
    const again = await handleAlerts(h.deps, [firingAlert(), firingAlert({ fingerprint: '8447eb3cf3b98b25' })]);
    await h.settle();
    expect(again).toMatchObject({ received: 2, new: 0, duplicates: 2 });
    expect(h.store.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
  });

  it('records an alert for an unknown service without proposing anything', async () => {
    const r = await handleAlerts(h.deps, [firingAlert({ service: 'nobody-owns-this' })]);
    await h.settle();
    expect(r.unmatched).toBe(1);
    expect(h.store.alerts.count()).toBe(1);
    expect(h.store.incidents.listOpen()).toHaveLength(0);
    expect(h.chat.posts).toHaveLength(0);
  });
});

describe('approval', () => {
  it('refuses a non-approver with who may approve, audits the attempt, executes nothing', async () => {
    const p = await proposeFromAlert();
    const r = await recordDecision(h.deps, { proposalId: p.id, user: 'U0MALLORY', decision: 'approve' });
    await h.settle();
    expect(r).toMatchObject({ ok: false, code: 'not_an_approver' });
    expect(!r.ok && r.message).toContainEqual({ user: 'U0ALICE' });
    expect(h.store.audit.forProposal(p.id).map((e) => e.action)).toContain('approve.refused');
    expect(h.store.proposals.get(p.id)!.approvals).toEqual([]);
    expect(h.adapter.executions).toHaveLength(0);
  });

  it('accepts a member of an approver user group', async () => {
    const p = await proposeFromAlert();
    const r = await recordDecision(h.deps, { proposalId: p.id, user: 'U0CAROL', decision: 'approve' });
    expect(r.ok).toBe(true);
  });

  it('needs two distinct approvers on a critical service, then rolls back once and verifies', async () => {
    const p = await proposeFromAlert();
    expect((await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' })).ok).toBe(true);
    expect(await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' })).toMatchObject({ ok: false, code: 'already_approved' });
    await h.settle();
    expect(h.adapter.executions).toHaveLength(0);
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    expect(h.adapter.executions).toHaveLength(1);
    expect(h.adapter.executions[0]!.idempotencyKey).toBe(p.id);
    const alias = h.registry.alias('fraud-scorer', 'production');
    expect(alias.ok && alias.value.version).toBe('v41');
    const done = h.store.proposals.get(p.id)!;
    expect(done.state).toBe('verified');
    expect(done.sliAfter?.[0]).toMatchObject({ current: 0.91, verdict: 'ok' });
    expect(h.store.audit.verify().ok).toBe(true);
  });

  it('executes exactly once when many approvers click at the same moment', async () => {
    const p = await proposeFromAlert();
    const clicks = [];
    for (let i = 0; i < 30; i++) clicks.push(recordDecision(h.deps, { proposalId: p.id, user: ['U0ALICE', 'U0BOB', 'U0CAROL'][i % 3]!, decision: 'approve' }));
    await Promise.all(clicks);
    await h.settle();
    expect(h.adapter.executions).toHaveLength(1);
    expect(h.store.audit.forProposal(p.id).filter((e) => e.action === 'execution.started')).toHaveLength(1);
    expect(h.store.proposals.get(p.id)!.approvals).toHaveLength(2);
  });

  it('never lets the requester of a manual rollback approve it', async () => {
    const r = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0ALICE', reason: 'bad accuracy after deploy' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const own = await recordDecision(h.deps, { proposalId: r.proposal.id, user: 'U0ALICE', decision: 'approve' });
    expect(own).toMatchObject({ ok: false, code: 'requester_cannot_approve' });
    const twice = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0BOB', reason: 'again' });
    expect(twice).toMatchObject({ ok: false, code: 'exists' });
  });

  it('expires a stale proposal so late approvals never execute', async () => {
    const p = await proposeFromAlert();
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    h.clock.advance(31 * 60_000);
    const late = await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    expect(late).toMatchObject({ ok: false, code: 'expired' });
    expect(h.store.proposals.get(p.id)!.state).toBe('expired');
    expect(h.adapter.executions).toHaveLength(0);
    expect(await expireProposals(h.deps)).toBe(0);
  });

  it('sweeps expired proposals on its own', async () => {
    const p = await proposeFromAlert();
    h.clock.advance(30 * 60_000);
    expect(await expireProposals(h.deps)).toBe(1);
    expect(h.store.proposals.get(p.id)!.state).toBe('expired');
  });

  it('rejects with a reason and executes nothing', async () => {
    const p = await proposeFromAlert();
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'reject', reason: 'alert is noise' });
    await h.settle();
    expect(h.store.proposals.get(p.id)).toMatchObject({ state: 'rejected', decisionReason: 'alert is noise' });
    expect(h.adapter.executions).toHaveLength(0);
  });
});

describe('resolution and postmortem', () => {
  it('writes and threads a postmortem when the alerts resolve after a verified rollback', async () => {
    const p = await proposeFromAlert();
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    await handleAlerts(h.deps, [firingAlert({ status: 'resolved' })]);
    await h.settle();
    expect(h.store.incidents.get(p.incidentId)!.status).toBe('open');
    await handleAlerts(h.deps, [firingAlert({ fingerprint: '8447eb3cf3b98b25', status: 'resolved' })]);
    await h.settle();
    const incident = h.store.incidents.get(p.incidentId)!;
    expect(incident.status).toBe('resolved');
    expect(incident.postmortemPath && existsSync(incident.postmortemPath)).toBe(true);
    const md = readFileSync(incident.postmortemPath!, 'utf8');
    // People by name (the directory's), never as ids.
    expect(md).toContain('Approved by: Alice, Bob');
    expect(md).not.toMatch(/\bU0[A-Z]+\b/);
    expect(md).toContain('Rollback of fraud-scorer v42 → v41: verified');
    const root = h.chat.posts.find((m) => !m.threadTs && m.text.startsWith('Rollback proposal'))!;
    const thread = h.chat.thread(root.ts).map((m) => m.text);
    expect(thread.at(-1)).toContain('Postmortem draft');
    expect(thread.at(-1)).not.toContain(incident.postmortemPath!);
    // Then the draft and the chart, as files in the same thread.
    expect(h.chat.uploads.map((u) => [u.filename, u.threadTs])).toEqual([[`postmortem-${incident.id}.md`, root.ts], [`sli-chart-${incident.id}.png`, root.ts]]);
    expect(h.chat.uploads[0]!.content.toString('utf8')).toBe(md);
    expect(h.chat.uploads[1]!.content.subarray(1, 4).toString()).toBe('PNG');
    const order = ['Proposed rollback', 'Approved by <@U0ALICE>', 'Approved by <@U0BOB>', 'Quorum reached', 'Executing rollback', 'Rolled back', 'Verified', 'All alerts resolved', 'Postmortem draft'];
    const positions = order.map((o) => thread.findIndex((t) => t.includes(o)));
    expect(positions.every((x) => x >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('retries an upload Slack failed, looking for it first, and shares each file once', async () => {
    const p = await proposeFromAlert();
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    h.chat.failUploads = 1;
    await handleAlerts(h.deps, [firingAlert({ status: 'resolved' }), firingAlert({ fingerprint: '8447eb3cf3b98b25', status: 'resolved' })]);
    await h.settle();
    expect(h.chat.uploads).toHaveLength(0);
    expect(await h.deps.store.outbox.pending()).toBe(2);
    const lookups = h.chat.lookups;
    h.clock.advance(2000);
    await h.settle();
    expect(h.chat.uploads.map((u) => u.filename.split('-')[0])).toEqual(['postmortem', 'sli']);
    expect(h.chat.lookups).toBe(lookups + 1);
    expect(await h.deps.store.outbox.pending()).toBe(0);
  });

  it('refuses to close an incident whose alerts still fire', async () => {
    const p = await proposeFromAlert();
    const r = await resolveIncident(h.deps, p.incidentId, { kind: 'person', user: 'U0ALICE' });
    expect(r).toMatchObject({ ok: false, code: 'alerts_firing' });
    expect(h.store.incidents.get(p.incidentId)!.status).toBe('open');
  });

  it('withdraws a pending proposal when a person resolves the incident', async () => {
    const req = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0ALICE', reason: 'accuracy looks off' });
    if (!req.ok) throw new Error(req.message);
    const p = req.proposal;
    const r = await resolveIncident(h.deps, p.incidentId, { kind: 'person', user: 'U0ALICE' });
    await h.settle();
    expect(r.ok).toBe(true);
    expect(h.store.proposals.get(p.id)!.state).toBe('cancelled');
    expect(await recordDecision(h.deps, { proposalId: p.id, user: 'U0BOB', decision: 'approve' })).toMatchObject({ ok: false, code: 'not_pending' });
  });
});

describe('Slack outbox', () => {
  it('keeps messages through a Slack outage and sends them in order afterwards', async () => {
    h.chat.failPosts = 1;
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    expect(h.store.proposals.liveFor('fraud-scorer')).toBeDefined();
    expect(h.store.outbox.pending()).toBeGreaterThan(0);
    h.clock.advance(5_000);
    h.drainer.kick();
    await h.drainer.flushed();
    expect(h.store.outbox.pending()).toBe(0);
    const root = proposalPost(h.chat.posts)!;
    expect(h.chat.thread(root.ts)[0]!.text).toContain('Proposed rollback');
  });
});

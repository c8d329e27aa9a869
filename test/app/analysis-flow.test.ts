import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeService } from '../../src/app/analyze-services.js';
import { recordDecision } from '../../src/app/record-decision.js';
import { requestRollback } from '../../src/app/request-rollback.js';
import { breakGlass, rollForward } from '../../src/app/stop-and-break-glass.js';
import type { SliSource } from '../../src/ports/sli-source.js';
import { explainPolicy } from '../../src/slack/views/policy-explainer.js';
import { buildHarness, POLICY_YAML } from '../support/harness.js';
import { proposalPost, updatesOf } from '../support/messages.js';

const withDecision = (decision: string, extraTop = '') => `${extraTop}${POLICY_YAML.replace('    runbook: https://runbooks.example/fraud-scorer', `    runbook: https://runbooks.example/fraud-scorer\n    decision: ${decision}`)}`;

function harness(decision: string, top = '') {
  const h = buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-an-')), policyYaml: withDecision(decision, top) });
  return { h, svc: h.deps.service('fraud-scorer')! };
}

/** An SLI source whose answers a test scripts one interval at a time. */
function scripted(values: ({ current: number | null } | { error: string })[]): SliSource {
  let i = 0;
  return { kind: 'static', measure: async () => { const v = values[Math.min(i++, values.length - 1)]!; return 'error' in v ? v : { baseline: 0.91, current: v.current }; } };
}

describe('continuous analysis', () => {
  it('proposes after failureLimit consecutive breaches during the bake window, not before', async () => {
    const { h, svc } = harness('{ mode: propose, failureLimit: 3, interval: 1m, bakeWindow: 30m }');
    { const src = scripted([{ current: 0.8 }, { current: 0.9 }, { current: 0.8 }, { current: 0.8 }, { current: 0.8 }]); h.deps.sliSource = () => src; }
    for (let i = 0; i < 4; i++) {
      await analyzeService(h.deps, svc);
      h.clock.advance(60_000);
    }
    expect(h.store.proposals.liveFor('fraud-scorer')).toBeUndefined();
    await analyzeService(h.deps, svc);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    expect(p.requestedBy).toBe('policy');
    expect(p.reason).toContain('breached 3 times in a row (failureLimit 3)');
    expect(p.reason).toContain('0.8 < 0.85');
  });

  it('escalates inconclusive measurements once and never proposes on them', async () => {
    const { h, svc } = harness('{ mode: automatic, failureLimit: 1, inconclusiveLimit: 2, interval: 1m, bakeWindow: 30m }');
    await h.deps.chat.ensureChannel('x', []);
    { const src = scripted([{ error: 'connect ECONNREFUSED 127.0.0.1:9090' }]); h.deps.sliSource = () => src; }
    // An incident gives the escalation a place to be posted.
    await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0ALICE', reason: 'manual check' });
    const manual = h.store.proposals.liveFor('fraud-scorer')!;
    await recordDecision(h.deps, { proposalId: manual.id, user: 'U0BOB', decision: 'reject', reason: 'looking first' });
    for (let i = 0; i < 5; i++) {
      await analyzeService(h.deps, svc);
      h.clock.advance(60_000);
    }
    await h.settle();
    expect(h.store.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
    const blind = h.store.audit.forIncident(manual.incidentId).filter((e) => e.action === 'analysis.blind');
    expect(blind).toHaveLength(1);
    expect(String(blind[0]!.details.text)).toContain('Cannot see, will not act');
  });

  it('does nothing outside the bake window when no incident is open', async () => {
    const { h, svc } = harness('{ mode: automatic, failureLimit: 1, bakeWindow: 30s }');
    h.clock.advance(3_600_000);
    { const src = scripted([{ current: 0.1 }]); h.deps.sliSource = () => src; }
    expect(await analyzeService(h.deps, svc)).toBeUndefined();
    expect(h.store.proposals.liveFor('fraud-scorer')).toBeUndefined();
  });

  it('starts an automatic rollback on a trigger, and an open proposal absorbs the next one', async () => {
    const { h, svc } = harness('{ mode: automatic, failureLimit: 1, grace: 2m, bakeWindow: 30m }');
    { const src = scripted([{ current: 0.5 }]); h.deps.sliSource = () => src; }
    await analyzeService(h.deps, svc);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    expect(p.automatic).toBe(true);
    expect(Date.parse(p.autoExecuteAt!) - Date.parse(p.createdAt)).toBe(120_000);
    await analyzeService(h.deps, svc);
    expect(h.store.proposals.recent('fraud-scorer', 10)).toHaveLength(1);
    expect(h.store.audit.forProposal(p.id).map((e) => e.action)).toContain('trigger.absorbed');
  });

  it('falls back to humans when a guard refuses (freeze window)', async () => {
    const { h, svc } = harness('{ mode: automatic, failureLimit: 1, bakeWindow: 30m, freeze: [{ from: "2025-03-01T00:00:00Z", to: "2025-03-02T00:00:00Z", reason: "launch week" }] }');
    { const src = scripted([{ current: 0.5 }]); h.deps.sliSource = () => src; }
    await analyzeService(h.deps, svc);
    await h.settle();
    const p = h.store.proposals.liveFor('fraud-scorer')!;
    expect(p.automatic).toBe(false);
    const refused = h.store.audit.forProposal(p.id).find((e) => e.action === 'automatic.refused');
    expect(String(refused?.details.text)).toContain('launch week');
  });
});

describe('break-glass and roll-forward', () => {
  it('lets a configured admin execute without the quorum, with a reason, loudly', async () => {
    const { h } = harness('{ mode: propose }', 'admins: [U0ADMIN]\n');
    const req = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0CAROL', reason: 'bad model' });
    if (!req.ok) throw new Error(req.message);
    expect(await breakGlass(h.deps, 'fraud-scorer', 'U0ALICE', 'I am sure it is broken')).toMatchObject({ ok: false, code: 'not_admin' });
    expect(await breakGlass(h.deps, 'fraud-scorer', 'U0ADMIN', 'short')).toMatchObject({ ok: false });
    expect((await breakGlass(h.deps, 'fraud-scorer', 'U0ADMIN', 'both approvers unreachable, fraud losses climbing')).ok).toBe(true);
    await h.settle();
    const p = h.store.proposals.get(req.proposal.id)!;
    expect(p).toMatchObject({ state: 'verified', breakGlass: 'both approvers unreachable, fraud losses climbing', decidedBy: 'U0ADMIN' });
    const root = proposalPost(h.chat.posts)!;
    expect(h.chat.thread(root.ts).map((m) => m.text).join('\n')).toContain('<!here> 🚨 *BREAK-GLASS* by <@U0ADMIN>');
  });

  it('offers a roll-forward after a rollback that did not help, under the same approval rules', async () => {
    const { h } = harness('{ mode: propose }');
    h.deps.sliSource = () => ({ kind: 'static', measure: async () => ({ baseline: 0.91, current: 0.7 }) });
    const req = await requestRollback(h.deps, { service: 'fraud-scorer', user: 'U0CAROL', reason: 'bad model' });
    if (!req.ok) throw new Error(req.message);
    await recordDecision(h.deps, { proposalId: req.proposal.id, user: 'U0ALICE', decision: 'approve' });
    await recordDecision(h.deps, { proposalId: req.proposal.id, user: 'U0BOB', decision: 'approve' });
    await h.settle();
    expect(h.store.proposals.get(req.proposal.id)!.state).toBe('not_recovered');
    expect(JSON.stringify(updatesOf(h.chat.updates, proposalPost(h.chat.posts)!.ts).at(-1)!.blocks)).toContain('Roll forward to v42');
    const fwd = await rollForward(h.deps, req.proposal.id, 'U0ALICE');
    expect(fwd.ok && fwd.proposal).toMatchObject({ fromVersion: 'v41', toVersion: 'v42', requestedBy: 'U0ALICE', requiredApprovals: 2, state: 'pending' });
  });

  it('explains the policy in plain words', () => {
    const { svc } = harness('{ mode: automatic, grace: 2m, failureLimit: 3 }');
    const text = explainPolicy(svc);
    expect(text).toContain('Mode *automatic*');
    expect(text).toContain('3 breaches in a row trigger');
    expect(text).toContain('runs it after 2 min unless an approver presses Stop');
    expect(text).toContain('Missing data or a failing metrics backend is inconclusive');
  });
});

/** The report is a pure function of the audit trail and the proposal: plain structs in, verdict out. */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { Proposal, ProposalState } from '../../src/domain/proposal.js';
import type { SliReading } from '../../src/domain/sli.js';
import { buildReport, drillOutcome, drillTimings, type DrillFacts } from '../../src/drills/report.js';
import { parseScenario, type Scenario } from '../../src/drills/scenario.js';
import { renderReport, renderTrend } from '../../src/drills/transcript.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function audit(rows: [number, string, Record<string, unknown>?][]): AuditEntry[] {
  return rows.map(([ms, action, details], i) => ({ seq: i + 1, at: at(ms), incidentId: 'inc-drill-1', proposalId: action.startsWith('alert') ? null : 'rb-drill-1', actor: 'backstop', action, details: details ?? {}, prevHash: '', hash: '' }));
}

const reading = (verdict: SliReading['verdict']): SliReading => ({ name: 'accuracy', baseline: 0.9, current: verdict === 'no_data' ? null : 0.7, comparator: 'lt', threshold: 0.8, verdict, reason: '' });

function proposal(state: ProposalState, before: SliReading['verdict'] = 'breach'): Proposal {
  return {
    id: 'rb-drill-1', incidentId: 'inc-drill-1', service: 'drill-fraud-scorer', state, rev: 3, fromVersion: 'v42', toVersion: 'v41',
    requestedBy: 'alert', reason: 'alert DRILL: X firing', requiredApprovals: 1, approvals: [], createdAt: at(10), expiresAt: at(600_000),
    decidedAt: null, decidedBy: null, decisionReason: null, executedAt: null, verifiedAt: null, sliBefore: [reading(before)], sliAfter: null,
    executionDetail: null, channelId: 'C0DRILL', messageTs: null,
  };
}

function scenario(extra = ''): Scenario {
  const r = parseScenario(`
name: s
title: S
service: fraud-scorer
alert: { name: X, summary: x }
slis: [{ name: accuracy, comparator: lt, threshold: 0.8, baseline: 0.9, breach: { value: 0.7 }, recovery: { value: 0.9 } }]
approvers: [{ id: U0ALICE, name: alice, simulated: {} }]
${extra}`);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.scenario;
}

const FULL = audit([
  [0, 'alert.firing'], [10, 'proposal.created'], [30, 'proposal.approved_by'], [2_010, 'proposal.approved'], [2_011, 'execution.started'],
  [2_500, 'execution.succeeded', { attempts: 3 }], [7_500, 'verification.recovered'], [9_000, 'incident.resolved'],
]);

function facts(over: Partial<DrillFacts>): DrillFacts {
  return {
    id: 'report-1', scenario: scenario('expect: { outcome: verified }'), drillService: 'drill-fraud-scorer',
    startedAt: new Date(T0 - 100), finishedAt: new Date(T0 + 10_000), audit: FULL, proposal: proposal('verified'),
    proposalPostedAt: new Date(T0 + 40), faults: [], auditChainOk: true, postmortemPath: null, timedOut: false, timeoutMs: 60_000, ...over,
  };
}

describe('drill report', () => {
  it('measures each leg of the path from the audit trail', () => {
    expect(drillTimings(FULL, new Date(T0 + 40))).toEqual({
      detectionToProposalMs: 10, proposalToPostedMs: 30, proposalToApprovalMs: 2_000, approvalToExecutedMs: 490, executedToVerifiedMs: 5_000, timeToSafetyMs: 7_500,
    });
  });

  it('has no time to safety when the rollback did not recover', () => {
    const notRecovered = audit([[0, 'alert.firing'], [10, 'proposal.created'], [20, 'proposal.approved'], [30, 'execution.succeeded'], [40, 'verification.not_recovered']]);
    expect(drillTimings(notRecovered, null)).toMatchObject({ executedToVerifiedMs: 10, timeToSafetyMs: null, proposalToPostedMs: null });
  });

  it.each<[ProposalState, SliReading['verdict'], string]>([
    ['verified', 'breach', 'verified'],
    ['not_recovered', 'breach', 'not_recovered'],
    ['failed', 'breach', 'failed'],
    ['rejected', 'breach', 'rejected'],
    ['rejected', 'no_data', 'inconclusive'],
    ['expired', 'error', 'inconclusive'],
    ['expired', 'breach', 'expired'],
    ['pending', 'breach', 'timed_out'],
    ['executing', 'breach', 'timed_out'],
  ])('a proposal ending %s with SLIs %s is outcome %s', (state, before, outcome) => {
    expect(drillOutcome([], proposal(state, before))).toBe(outcome);
  });

  it('without a proposal: no_proposal when the bot said it could not propose, else timed_out', () => {
    expect(drillOutcome(audit([[0, 'proposal.not_possible']]), undefined)).toBe('no_proposal');
    expect(drillOutcome([], undefined)).toBe('timed_out');
  });

  it('passes when the outcome, retries and every target are met, and counts retries from the audit row', () => {
    const r = buildReport(facts({ scenario: scenario('expect: { outcome: verified, retries: 2, targets: { timeToSafety: 10s, detectionToProposal: 1s } }') }));
    expect(r).toMatchObject({ passed: true, outcome: 'verified', attempts: 3, retries: 2, sliBefore: 'breach' });
    expect(r.checks.map((c) => c.name)).toEqual(['outcome', 'retries', 'detection → proposal', 'time to safety', 'audit chain intact']);
  });

  it('fails, naming the check, when a target is missed, a fault never fired or the drill timed out', () => {
    const slow = buildReport(facts({ scenario: scenario('expect: { outcome: verified, targets: { proposalToApproval: 1s } }') }));
    expect(slow.passed).toBe(false);
    expect(slow.checks.find((c) => !c.ok)).toEqual({ name: 'proposal → approval', ok: false, detail: '2.00 s (target ≤ 1.00 s)' });

    const unexercised = buildReport(facts({ faults: [{ kind: 'slack-429', detail: 'Slack answers chat.postMessage with 429 ×1', observed: 0 }] }));
    expect(unexercised.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['fault slack-429 exercised']);

    const stuck = buildReport(facts({ proposal: proposal('pending'), timedOut: true }));
    expect(stuck.outcome).toBe('timed_out');
    expect(stuck.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['outcome', 'finished in time']);
  });

  it('checks that an inconclusive drill rolled nothing back', () => {
    const s = scenario('expect: { outcome: inconclusive }');
    const clean = buildReport(facts({ scenario: s, proposal: proposal('rejected', 'no_data'), audit: audit([[0, 'alert.firing'], [5, 'proposal.created'], [50, 'proposal.rejected']]) }));
    expect(clean.passed).toBe(true);
    const blind = buildReport(facts({ scenario: s, proposal: proposal('rejected', 'no_data'), audit: audit([[0, 'alert.firing'], [5, 'execution.started']]) }));
    expect(blind.checks.find((c) => c.name === 'no rollback')).toMatchObject({ ok: false });
  });

  it('renders the report and the trend as text', () => {
    const r = buildReport(facts({}));
    expect(renderReport(r)).toContain('result: PASSED; outcome verified (expected verified)');
    expect(renderReport(r)).toContain('time to safety         7.50 s');
    const trend = renderTrend([{ ...r, id: 'b', startedAt: at(1000), passed: false }, r]);
    expect(trend).toContain('Last 2 drill(s), newest first');
    expect(trend).toMatch(/s\s+1\/2 passed; last FAIL; time to safety 7\.50 s/);
    expect(renderTrend([])).toContain('No drills recorded yet');
  });
});

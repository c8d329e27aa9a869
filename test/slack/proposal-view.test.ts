import { describe, expect, it } from 'vitest';
import { chunk } from '../../src/slack/views/step-message.js';
import { validateBlocks } from '../../src/sandbox/block-kit.js';
import { proposalBlocks, sliTable } from '../../src/slack/views/proposal.js';
import { proposal, reading } from '../support/builders.js';

const approvers = { users: ['U0ALICE', 'U0BOB'], groups: ['S0ONCALL'] };

describe('proposal message', () => {
  it('shows versions, the SLI table with a breach mark, approvals and both buttons while pending', () => {
    const blocks = proposalBlocks({ proposal: proposal({ approvals: [{ user: 'U0ALICE', at: 'x' }] }), approvers, runbookUrl: 'https://runbooks.example/x', adapter: 'local-registry fraud-scorer' });
    const text = JSON.stringify(blocks);
    expect(text).toContain('`v42` → `v41`');
    expect(text).toContain('1/2: <@U0ALICE>');
    expect(text).toContain('<https://runbooks.example/x|Runbook>');
    expect(text).toContain('"style":"primary"');
    expect(text).toContain('"style":"danger"');
    expect(validateBlocks(blocks)).toEqual({ ok: true });
  });

  it('names what fired once, and who asked when a person did', () => {
    const fromAlert = JSON.stringify(proposalBlocks({ proposal: proposal({ requestedBy: 'alert', reason: 'alert ModelAccuracyDrop firing' }), approvers, runbookUrl: null, adapter: 'x' }));
    expect(fromAlert).toContain('*Requested by*\\nthe alert ModelAccuracyDrop (firing)');
    expect(fromAlert).not.toContain('alert: alert');
    expect(fromAlert.match(/alert ModelAccuracyDrop/g)).toHaveLength(1);
    const two = JSON.stringify(proposalBlocks({ proposal: proposal({ requestedBy: 'alert', reason: 'alert A, B firing' }), approvers, runbookUrl: null, adapter: 'x' }));
    expect(two).toContain('the alerts A, B (firing)');
    const fromPerson = JSON.stringify(proposalBlocks({ proposal: proposal({ requestedBy: 'U0CAROL', reason: 'bad model' }), approvers, runbookUrl: null, adapter: 'x' }));
    expect(fromPerson).toContain('*Requested by*\\n<@U0CAROL>: bad model');
  });

  it('shows the plan the adapter will run and what happens after approval: read-back, settle, which SLIs with their thresholds and units', () => {
    const p99 = reading({ name: 'p99_latency', baseline: 120, current: 310, comparator: 'gt', threshold: 250, unit: 'ms', reason: '310 ms > 250 ms (threshold)' });
    const blocks = proposalBlocks({
      proposal: proposal({ sliBefore: [reading(), p99], plan: { steps: ['move alias production from v42 to v41'] } }), approvers, runbookUrl: null, adapter: 'local-registry',
      after: { settleMs: 30_000, readBackTimeoutMs: 120_000, readBackIntervalMs: 5_000 },
    });
    const text = JSON.stringify(blocks);
    expect(text).toContain('*What Approve does*\\n1. move alias production from v42 to v41');
    expect(text).toContain('every 5 s for up to 2 min until it reports `v41`');
    expect(text).toContain('Waits 30 s to settle');
    expect(text).toContain('a breach is accuracy < 0.85, p99_latency > 250 ms');
    // Units on values and thresholds in the table too.
    expect(text).toMatch(/p99_latency\s+120 ms\s+310 ms\s+> 250 ms/);
    expect(validateBlocks(blocks)).toEqual({ ok: true });
    // No settle time: nothing to wait for, and it does not say "waits 0 ms".
    const atOnce = JSON.stringify(proposalBlocks({ proposal: proposal({ plan: { steps: ['move alias'] } }), approvers, runbookUrl: null, adapter: 'x', after: { settleMs: 0, readBackTimeoutMs: 120_000, readBackIntervalMs: 5_000 } }));
    expect(atOnce).toContain('Then re-checks every SLI');
    expect(atOnce).not.toContain('Waits');
    // Once decided, the plan stays as the record and "what happens next" goes.
    const done = JSON.stringify(proposalBlocks({ proposal: proposal({ state: 'verified', plan: { steps: ['move alias'] } }), approvers, runbookUrl: null, adapter: 'x', after: { settleMs: 30_000, readBackTimeoutMs: 120_000, readBackIntervalMs: 5_000 } }));
    expect(done).toContain('1. move alias');
    expect(done).not.toContain('Waits 30 s');
  });

  it('links the runbook (a repository path under runbookBaseUrl), else shows its path', () => {
    const linked = JSON.stringify(proposalBlocks({ proposal: proposal(), approvers, runbookUrl: 'https://git.example/cfg/blob/main/runbooks/fraud-scorer.md', runbookPath: 'runbooks/fraud-scorer.md', adapter: 'x' }));
    expect(linked).toContain('<https://git.example/cfg/blob/main/runbooks/fraud-scorer.md|Runbook: runbooks/fraud-scorer.md>');
    const path = JSON.stringify(proposalBlocks({ proposal: proposal(), approvers, runbookUrl: null, runbookPath: 'runbooks/fraud-scorer.md', adapter: 'x' }));
    expect(path).toContain('Runbook: `runbooks/fraud-scorer.md`');
  });

  it('reads pre-flight checks as sentences, each once', () => {
    const blocks = proposalBlocks({ proposal: proposal({ preflight: { ok: true, checks: [{ name: 'target version not marked bad', ok: true, detail: 'nobody marked v41 bad' }] } }), approvers, runbookUrl: null, adapter: 'x' });
    const text = JSON.stringify(blocks);
    expect(text).toContain('✅ nobody marked v41 bad _(target version not marked bad)_');
    expect(text).not.toContain('not marked bad: not marked bad');
  });

  it('drops the buttons once decided and states the outcome', () => {
    const blocks = proposalBlocks({ proposal: proposal({ state: 'rejected', decisionReason: 'false alarm' }), approvers, runbookUrl: null, adapter: 'x' });
    const text = JSON.stringify(blocks);
    expect(text).not.toContain('backstop_approve');
    expect(text).toContain('rejected: false alarm');
  });

  it('stays within Slack limits with absurdly long inputs', () => {
    const long = 'x'.repeat(10_000);
    const many = Array.from({ length: 60 }, (_, i) => reading({ name: `sli_${i}_${'n'.repeat(80)}`, unit: 'ms' }));
    const blocks = proposalBlocks({
      proposal: proposal({ service: 's'.repeat(60), reason: long, fromVersion: 'v'.repeat(200), sliBefore: many, sliAfter: many }),
      approvers: { users: Array.from({ length: 200 }, (_, i) => `U0${i}AAAA`), groups: [] }, runbookUrl: `https://x.example/${'p'.repeat(2000)}`, adapter: long,
    });
    expect(validateBlocks(blocks)).toEqual({ ok: true });
  });

  it('aligns the SLI table in columns and marks inconclusive readings with their cause', () => {
    const table = sliTable([reading(), reading({ name: 'p99', current: null, verdict: 'no_data', reason: 'no data for the current value', comparator: 'gt', threshold: 250, baseline: 120 })]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^SLI\s+baseline\s+now\s+breach if\s+verdict$/);
    expect(lines[1]).toContain('❌ breach');
    expect(lines[2]).toContain('❔ no data');
    expect(table).toContain('p99: no data for the current value');
    expect(lines[1]!.indexOf('0.91')).toBe(lines[0]!.indexOf('baseline'));
  });

  it('splits long thread text at line breaks into sections Slack accepts', () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'y'.repeat(20)}`).join('\n');
    const parts = chunk(text, 3000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.length <= 3000)).toBe(true);
    expect(parts.join('\n')).toBe(text);
  });
});

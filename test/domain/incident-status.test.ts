/** Where an incident stands, from the incident and its latest proposal: the header's status line, the status update's words. */
import { describe, expect, it } from 'vitest';
import { describeStatusUpdate, doingNow, incidentPhase, latestProposal, phaseTitle, proposalGist } from '../../src/domain/incident-status.js';
import type { ProposalState } from '../../src/domain/proposal.js';
import { plainText } from '../../src/domain/said.js';
import { validateBlocks } from '../../src/sandbox/block-kit.js';
import { incidentHeaderBlocks, incidentHeaderText } from '../../src/slack/views/incident-header.js';
import { proposal } from '../support/builders.js';

const open = { status: 'open' as const };

describe('incident phase', () => {
  it.each<[ProposalState, string]>([
    ['pending', 'awaiting_approval'], ['approved', 'rolling_back'], ['executing', 'rolling_back'], ['executed', 'verifying'],
    ['verified', 'verified'], ['unconfirmed', 'unconfirmed'], ['not_recovered', 'not_recovered'], ['failed', 'rollback_failed'],
    ['rejected', 'investigating'], ['expired', 'investigating'], ['cancelled', 'investigating'], ['superseded', 'investigating'],
  ])('a %s proposal: %s', (state, phase) => {
    expect(incidentPhase(open, proposalGist(proposal({ state })))).toBe(phase);
  });

  it('is investigating with no proposal, and resolved once resolved whatever the proposal did', () => {
    expect(incidentPhase(open, undefined)).toBe('investigating');
    expect(incidentPhase({ status: 'resolved' }, proposalGist(proposal({ state: 'verified' })))).toBe('resolved');
    expect(phaseTitle('resolved')).toBe('✅ Resolved');
  });

  it('says what it waits for: approvals counted once per person, an automatic rollback, people after a rejection', () => {
    const pending = proposalGist(proposal({ approvals: [{ user: 'U1', at: 'x' }, { user: 'U1', at: 'y' }] }));
    expect(plainText(doingNow('awaiting_approval', pending))).toBe('Waiting for approvals of the rollback v42 → v41: 1/2.');
    const auto = proposalGist(proposal({ automatic: true, autoExecuteAt: '2025-03-01T12:02:00.000Z' }));
    expect(plainText(doingNow('awaiting_approval', auto))).toContain('runs automatically at 2025-03-01T12:02:00.000Z unless an approver presses Stop');
    expect(plainText(doingNow('investigating', proposalGist(proposal({ state: 'rejected' }))))).toContain('was rejected; nothing was rolled back');
  });

  it('takes the newest proposal as the latest', () => {
    const older = proposal({ id: 'rb-1', createdAt: '2025-03-01T12:00:00.000Z' });
    const newer = proposal({ id: 'rb-2', createdAt: '2025-03-01T13:00:00.000Z' });
    expect(latestProposal([newer, older])?.id).toBe('rb-2');
    expect(latestProposal([])).toBeUndefined();
  });

  it('words a status update: alerts, SLIs, what Backstop does', () => {
    const text = plainText(describeStatusUpdate({
      action: 'incident.status_update', incidentId: 'inc-1', service: 'fraud-scorer', phase: 'verifying',
      firing: [{ name: 'ModelAccuracyDrop', summary: null }, { name: 'ModelAccuracyDrop', summary: null }],
      slis: [{ name: 'accuracy', verdict: 'no_data', reason: 'no samples' }], proposal: proposalGist(proposal({ state: 'executed' })),
    }));
    expect(text).toBe('📣 Status of fraud-scorer: 🔁 Rolled back, verifying. 2 alert(s) firing (ModelAccuracyDrop). SLIs: accuracy no data (no samples). Rolled back to v41; verifying: reading the target back, then the SLIs.');
  });
});

describe('incident header view', () => {
  const incident = { id: 'inc-1', service: 'fraud-scorer', status: 'open' as const, title: 'accuracy <!channel>', severity: 'critical', channelId: 'C1', openedAt: '2025-03-01T12:00:00.000Z', resolvedAt: null, resolvedBy: null, postmortemPath: null };

  it('never lets alert text mention or link, and links only http(s) sources', () => {
    const blocks = incidentHeaderBlocks({
      incident, deploy: null, dashboardUrl: 'javascript:alert(1)', drill: false, tally: { firing: 1, total: 2 },
      alerts: [
        { name: 'A', severity: 'critical', summary: 'ping <!here> & <https://evil.example|click>', status: 'firing', startsAt: incident.openedAt, generatorUrl: 'javascript:alert(1)' },
        { name: 'B', severity: null, summary: null, status: 'resolved', startsAt: incident.openedAt, generatorUrl: 'https://prometheus.example/graph?g0.expr=up' },
      ],
    });
    expect(validateBlocks(blocks).ok).toBe(true);
    const shown = JSON.stringify(blocks);
    expect(shown).not.toContain('<!here>');
    expect(shown).toContain('ping &lt;!here&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(shown).not.toContain('javascript:');
    expect(shown).toContain('<https://prometheus.example/graph?g0.expr=up|source>');
    expect(shown).toContain('*Alerts firing*\\n1 of 2');
    expect(shown).toContain('unknown: neither `/deploys` nor the target says');
    expect(incidentHeaderText({ incident, alerts: [], tally: { firing: 0, total: 0 }, deploy: null, dashboardUrl: null, drill: false })).toBe('🚨 Incident fraud-scorer (critical): accuracy &lt;!channel&gt;. Status: 🔍 Investigating');
  });

  it('lists a few alerts and counts all of them; says the service once', () => {
    const a = { name: 'HighLatency', severity: 'critical', summary: 'fraud-scorer p99 over 250 ms', status: 'firing' as const, startsAt: incident.openedAt, generatorUrl: null };
    const blocks = JSON.stringify(incidentHeaderBlocks({
      incident: { ...incident, title: 'fraud-scorer p99 over 250 ms' }, deploy: null, dashboardUrl: null, drill: false,
      alerts: Array.from({ length: 20 }, () => a), tally: { firing: 4_000, total: 5_000 },
    }));
    expect(blocks).toContain('*Alerts firing*\\n4000 of 5000');
    expect(blocks).toContain('…and 4992 more');
    expect(blocks).toContain('"text":"🚨 fraud-scorer p99 over 250 ms"');
  });
});

/**
 * Writes N past incidents straight into a Backstop SQLite file, shaped like the rows the bot
 * itself writes (the incident, its two alerts, a proposal that was verified / rejected / expired,
 * the execution, every audit row with a valid hash chain), in one transaction so 100k incidents
 * take seconds, not minutes. Sent outbox rows are left out: the bot only reaches the outbox
 * through its unsent-rows index, and they would triple the file for nothing measured here.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { hashEntry } from '../../src/store/audit-log.js';
import type { Db } from '../../src/store/db.js';
import { GENESIS_HASH } from '../../src/domain/audit.js';

export interface SeedTarget {
  service: string;
  channelId: string;
  model: string;
}

export interface SeedCounts {
  incidents: number;
  alerts: number;
  proposals: number;
  audit: number;
  ms: number;
}

const DAY = 86_400_000;

/** Seeded alerts start with `a`; the benchmark's own alerts use other prefixes, so none collide. */
const pastFingerprint = (n: number) => `a${n.toString(16).padStart(15, '0')}`;
/** Eight hex digits like the bot's random id suffix; a bijection of `n`, so unique and cheap. */
const suffix = (n: number) => (Math.imul(n, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');

/** Past incidents spread evenly over the two years before `now`, round-robin over `targets`. */
export function seedPastIncidents(db: Db, n: number, targets: readonly SeedTarget[], approvers: readonly string[], now = Date.now()): SeedCounts {
  const started = performance.now();
  const counts = { incidents: 0, alerts: 0, proposals: 0, audit: 0 };
  const insIncident = db.prepare(`INSERT INTO incidents (id, service, status, title, severity, channel_id, opened_at, resolved_at, resolved_by, postmortem_path)
    VALUES (?, ?, 'resolved', ?, 'critical', ?, ?, ?, ?, ?)`);
  const insAlert = db.prepare(`INSERT INTO alerts (fingerprint, starts_at, source, service, incident_id, status, name, severity, summary, labels, annotations, ends_at, received_at, updated_at)
    VALUES (?, ?, 'alertmanager', ?, ?, 'resolved', ?, 'critical', ?, ?, ?, ?, ?, ?)`);
  const insProposal = db.prepare(`INSERT INTO proposals (id, incident_id, service, state, rev, from_version, to_version, requested_by, reason, required_approvals, approvals,
      created_at, expires_at, decided_at, decided_by, decision_reason, executed_at, verified_at, sli_before, sli_after, execution_detail, channel_id, message_ts)
    VALUES (?, ?, ?, ?, ?, 'v2', 'v1', 'alert', ?, 2, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insExecution = db.prepare(`INSERT INTO executions (proposal_id, attempts, started_at, last_attempt_at, finished_at, outcome) VALUES (?, 1, ?, ?, ?, 'succeeded')`);
  const insAudit = db.prepare('INSERT INTO audit (at, incident_id, proposal_id, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');

  let prevHash = (db.prepare('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? GENESIS_HASH;
  const step = (2 * 365 * DAY) / Math.max(n, 1);
  const start = now - 2 * 365 * DAY;
  const iso = (t: number) => new Date(t).toISOString();

  // Bulk-load settings for this connection only; the bot reopens the file with its own (WAL).
  const journal = db.pragma('journal_mode', { simple: true }) as string;
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  // Indexes are rebuilt once at the end, which is far cheaper than keeping them up to date row by row.
  const tables = ['incidents', 'alerts', 'proposals', 'executions', 'audit'];
  const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(', ')})`).all(...tables) as { name: string; sql: string }[];
  for (const ix of indexes) db.exec(`DROP INDEX "${ix.name}"`);

  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const t = targets[i % targets.length]!;
      const opened = start + i * step;
      const incidentId = `inc-${Math.floor(opened).toString(36)}-${suffix(i)}`;
      const proposalId = `rb-${Math.floor(opened + 2_000).toString(36)}-${suffix(i)}`;
      const messageTs = `${Math.floor((opened + 3_000) / 1000)}.${String(i % 1_000_000).padStart(6, '0')}`;
      const outcome = i % 10 < 7 ? 'verified' : i % 10 < 9 ? 'rejected' : 'expired';
      const resolved = opened + 45 * 60_000;
      const [a1, a2] = [approvers[i % approvers.length]!, approvers[(i + 1) % approvers.length]!];

      const audit = (atMs: number, proposal: string | null, actor: string, action: string, details: Record<string, unknown>) => {
        const at = iso(atMs);
        const base = { at, incidentId, proposalId: proposal, actor, action, details, prevHash };
        const hash = hashEntry(base);
        insAudit.run(at, incidentId, proposal, actor, action, JSON.stringify(details), prevHash, hash);
        prevHash = hash;
        counts.audit++;
      };

      const title = `HighErrorRate on ${t.service}`;
      insIncident.run(incidentId, t.service, title, t.channelId, iso(opened), iso(resolved), 'alerts', `postmortems/${incidentId}.md`);
      counts.incidents++;
      audit(opened, null, 'alertmanager', 'incident.opened', { text: `🚨 Incident ${incidentId} opened for ${t.service}: ${title}` });
      const alertNames = ['HighErrorRate', 'LatencyP99High'];
      alertNames.forEach((name, k) => {
        const fingerprint = pastFingerprint(i * 2 + k);
        const labels = { alertname: name, service: t.service, severity: 'critical', instance: `${t.service}-${k}:8080`, job: t.service };
        const summary = `${name} for ${t.service}`;
        insAlert.run(fingerprint, iso(opened - 30_000), t.service, incidentId, name, summary, JSON.stringify(labels), JSON.stringify({ summary, runbook_url: `https://runbooks.example/${t.service}` }), iso(resolved), iso(opened), iso(resolved));
        counts.alerts++;
        audit(opened, null, 'alertmanager', 'alert.firing', { name, fingerprint, summary, severity: 'critical' });
      });

      const created = opened + 2_000;
      const sliBefore = [{ name: 'accuracy', baseline: 0.95, current: 0.8, comparator: 'lt', threshold: 0.9, verdict: 'breach', reason: '0.8 < 0.9 (threshold)' }];
      const sliAfter = [{ name: 'accuracy', baseline: 0.95, current: 0.95, comparator: 'lt', threshold: 0.9, verdict: 'ok', reason: '0.95 within threshold 0.9' }];
      const reason = 'alert HighErrorRate, LatencyP99High firing';
      audit(created, proposalId, 'alert', 'proposal.created', {
        text: `📋 Proposed rollback of ${t.service} v2 → v1 (${reason}). SLIs: accuracy 0.8 (breach; breach if < 0.9). Needs 2 approval(s) before ${iso(created + 30 * 60_000)}.`,
        from: 'v2', to: 'v1', sli: sliBefore, requiredApprovals: 2,
      });

      let state: string;
      let approvals: { user: string; at: string }[] = [];
      let decidedAt: string | null = null;
      let decidedBy: string | null = null;
      let decisionReason: string | null = null;
      let executedAt: string | null = null;
      let verifiedAt: string | null = null;
      let detail: string | null = null;
      let rev: number;
      if (outcome === 'verified') {
        approvals = [{ user: a1, at: iso(created + 60_000) }, { user: a2, at: iso(created + 90_000) }];
        audit(created + 60_000, proposalId, a1, 'proposal.approved_by', { text: `✅ Approved by <@${a1}> (1/2); waiting for 1 more.`, state: 'pending' });
        audit(created + 90_000, proposalId, a2, 'proposal.approved_by', { text: `✅ Approved by <@${a2}> (2/2).`, state: 'approved' });
        audit(created + 90_000, proposalId, a2, 'proposal.approved', { text: `Quorum reached: rolling back ${t.service} to v1.`, state: 'approved' });
        audit(created + 90_050, proposalId, 'backstop', 'execution.started', { text: `⏳ Executing rollback of ${t.service}: v2 → v1.`, state: 'executing' });
        detail = `moved alias production of ${t.model} from v2 to v1`;
        const plan = [`check v1 exists and is READY`, `move alias production of ${t.model} from v2 to v1`, 'record in registry history'];
        audit(created + 90_100, proposalId, 'backstop', 'execution.succeeded', { text: `🔁 Rolled back ${t.service} to v1: ${detail}. Verifying SLIs…`, state: 'executed', plan, attempts: 1 });
        audit(created + 390_100, proposalId, 'backstop', 'verification.recovered', { text: `🟢 Verified: ${t.service} on v1 is within its SLIs.`, state: 'verified' });
        state = 'verified';
        decidedAt = iso(created + 90_000);
        decidedBy = a2;
        executedAt = iso(created + 90_100);
        verifiedAt = iso(created + 390_100);
        rev = 5;
      } else if (outcome === 'rejected') {
        decisionReason = 'not the model: upstream feature store is down';
        audit(created + 120_000, proposalId, a1, 'proposal.rejected', { text: `⛔ Rejected by <@${a1}>: ${decisionReason}`, state: 'rejected' });
        state = 'rejected';
        decidedAt = iso(created + 120_000);
        decidedBy = a1;
        rev = 1;
      } else {
        approvals = [{ user: a1, at: iso(created + 60_000) }];
        audit(created + 60_000, proposalId, a1, 'proposal.approved_by', { text: `✅ Approved by <@${a1}> (1/2); waiting for 1 more.`, state: 'pending' });
        audit(created + 30 * 60_000, proposalId, 'backstop', 'proposal.expired', { text: `⌛ Proposal expired at ${iso(created + 30 * 60_000)} with 1/2 approvals; nothing was executed. Propose again if the rollback is still needed.`, state: 'expired' });
        state = 'expired';
        rev = 2;
      }
      insProposal.run(proposalId, incidentId, t.service, state, rev, reason, JSON.stringify(approvals), iso(created), iso(created + 30 * 60_000),
        decidedAt, decidedBy, decisionReason, executedAt, verifiedAt, JSON.stringify(sliBefore), verifiedAt ? JSON.stringify(sliAfter) : null, detail, t.channelId, messageTs);
      counts.proposals++;
      if (executedAt) insExecution.run(proposalId, iso(created + 90_050), iso(created + 90_060), executedAt);

      alertNames.forEach((name, k) => {
        const fingerprint = pastFingerprint(i * 2 + k);
        audit(resolved - 60_000, null, 'alertmanager', 'alert.resolved', { name, fingerprint });
      });
      audit(resolved, proposalId, 'alertmanager', 'incident.resolved', { text: `✅ Incident ${incidentId} resolved: all alerts resolved.` });
      audit(resolved + 500, proposalId, 'backstop', 'postmortem.drafted', { text: `📝 Postmortem draft: postmortems/${incidentId}.md`, path: `postmortems/${incidentId}.md` });
    }
  }).immediate();
  for (const ix of indexes) db.exec(ix.sql);
  db.pragma(`journal_mode = ${journal}`);
  db.pragma('synchronous = NORMAL');
  // The bulk load went to the file unsynced: flush it now, or the bot's first WAL checkpoint
  // (which fsyncs the file) pays for it in the middle of a measurement.
  const fd = openSync(db.name, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return { ...counts, ms: performance.now() - started };
}

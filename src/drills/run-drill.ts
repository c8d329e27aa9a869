/**
 * Runs one drill scenario through the real bot (`startBackstop`: Bolt, HTTP intake, outbox,
 * SQLite, use cases) against the local Slack emulator. The target is a local registry seeded
 * with the scenario's good and bad version in the drill's own database; SLIs come from the
 * scenario's synthetic series. The drill fires an Alertmanager alert, lets simulated approvers
 * click (signed, as Slack sends them), injects the scenario's faults, resolves the alert, and
 * measures what happened from the audit trail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { LocalRegistry } from '../adapters/local-registry/registry.js';
import { startBackstop, type Backstop } from '../bootstrap.js';
import { parseEnv } from '../config/env.js';
import { FINAL_STATES, type Proposal } from '../domain/proposal.js';
import { overallVerdict } from '../domain/sli.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { Ids } from '../ports/ids.js';
import { systemClock } from '../runtime/system-clock.js';
import { createConsole } from '../sandbox/console-server.js';
import { SlackEmulator, type SlackMessage } from '../sandbox/slack-emulator.js';
import { loadOrCreateKeyFile, sandboxKeyFile } from '../store/audit-key.js';
import { openDb, type Db } from '../store/db.js';
import { buildDrillPolicy, DRILL_CHANNEL_ID, DRILL_LABEL, drillChannelName, scaled } from './drill-policy.js';
import { FaultyAdapter } from './faulty-adapter.js';
import { buildReport, type DrillReport, type FaultObservation } from './report.js';
import { DrillReportRepo } from './report-store.js';
import { drillServiceName, type Scenario, type ScenarioApprover } from './scenario.js';
import { SlackActor } from './slack-actor.js';
import { SyntheticSliSource, type DrillTimeline } from './synthetic-sli.js';
import { renderTranscript } from './transcript.js';

export interface RunDrillOptions {
  scenario: Scenario;
  /** Multiplies every wait: approver delays, settle, backoff, injected hangs, Retry-After, pacing (default 1). */
  timeScale?: number;
  /** Give up after this long (default: the scenario's `timeout`). */
  timeoutMs?: number;
  /** Postmortems and the drill database go here; default a fresh temporary folder. */
  workDir?: string;
  /** The drill's own database (default `<workDir>/drill.db`); the caller closes it. Never the production database. */
  db?: Db;
  /** Where the report is stored: default the drill's database; null stores nothing. */
  reports?: DrillReportRepo | null;
  logger?: Logger;
  /** Serve the sandbox console on the drill's bot, so real-person approvers can click. */
  console?: boolean;
  /** Called once the bot is up (console URL when `console` is set). */
  onStarted?(info: { botUrl: string; consoleUrl: string | null; workDir: string }): void;
}

export interface DrillRun {
  report: DrillReport;
  /** The drill channel as it read in Slack, with threads. */
  transcript: string;
  workDir: string;
}

/** Ids that say DRILL wherever they appear: audit rows, postmortem file names, buttons. */
export const drillIds: Ids = {
  next: (prefix) => `${prefix}-drill-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
};

async function poll<T>(fn: () => T | undefined, deadline: number, everyMs = 10): Promise<T | undefined> {
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await delay(everyMs);
  }
}

/** The scenario's good release, then the bad one serving: what CI would have recorded. Re-runs reset the alias to the bad one. */
function seedRegistry(db: Db, model: string, s: Scenario): void {
  const registry = new LocalRegistry(db, systemClock);
  const { good, bad } = s.versions;
  const listed = registry.listVersions(model);
  if (!listed.ok || listed.value.length === 0) {
    registry.register(model, good, { source: `drill://${model}/${good}` });
    registry.register(model, bad, { source: `drill://${model}/${bad}` });
    registry.promote(model, good, { actor: 'drill', reason: 'DRILL: known-good release' });
    registry.markGood(model, good, 'drill');
  }
  registry.promote(model, bad, { actor: 'drill', reason: 'DRILL: the bad release' });
}

function alertPayload(s: Scenario, drillService: string, status: 'firing' | 'resolved', startsAt: string, fingerprint: string) {
  const labels = { alertname: `DRILL: ${s.alert.name}`, service: drillService, severity: s.alert.severity, [DRILL_LABEL]: 'true' };
  const annotations = { summary: `DRILL: ${s.alert.summary}` };
  return {
    version: '4', receiver: 'backstop', status,
    alerts: [{ status, labels, annotations, startsAt, endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
    groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: annotations,
    externalURL: 'http://alertmanager.drill', groupKey: `{}:{alertname="${labels.alertname}"}`, truncatedAlerts: 0,
  };
}

export async function runDrill(opts: RunDrillOptions): Promise<DrillRun> {
  const s = opts.scenario;
  const scale = opts.timeScale ?? 1;
  const timeoutMs = opts.timeoutMs ?? s.timeout;
  const startedAt = new Date();
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), `backstop-drill-${s.name}-`));
  mkdirSync(workDir, { recursive: true });
  const db = opts.db ?? openDb(join(workDir, 'drill.db'));
  const drillService = drillServiceName(s);
  const channel = { id: DRILL_CHANNEL_ID, name: drillChannelName(s) };
  const log = opts.logger ?? createLogger({ level: 'silent' });

  const emulator = new SlackEmulator({ chatWritePublic: true });
  let bot: Backstop | undefined;
  try {
    seedRegistry(db, drillService, s);
    await emulator.start(0, '127.0.0.1');
    for (const a of s.approvers) emulator.addUser({ id: a.id, name: a.name, real_name: `${a.name} (${a.simulated ? 'simulated' : 'person'} approver)`, email: `${a.name}@drill.invalid` });
    emulator.addChannel({ id: channel.id, name: channel.name, members: s.approvers.map((a) => a.id) });

    const signingSecret = randomBytes(16).toString('hex');
    const amToken = randomBytes(16).toString('hex');
    const env = parseEnv({
      SLACK_BOT_TOKEN: emulator.botToken, SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: emulator.url,
      PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: join(workDir, 'drill.db'), ALERTMANAGER_TOKEN: amToken,
      // One key per drill database, kept beside it: drills sharing a database share one chain.
      BACKSTOP_AUDIT_KEY: loadOrCreateKeyFile(sandboxKeyFile(join(workDir, 'drill.db'))).secret,
    });
    if (!env.ok) throw new Error(`drill environment invalid: ${JSON.stringify(env.problems)}`);
    const policy = buildDrillPolicy(s, { postmortemDir: join(workDir, 'postmortems'), timeScale: scale });

    const timeline: DrillTimeline = { alertAt: new Date(), rolledBackAt: null };
    const sli = new SyntheticSliSource({ scenario: s, timeline, timeScale: scale });
    let adapter: FaultyAdapter | undefined;
    let botUrl = '';
    const mounts: Record<string, RequestListener> = {};
    if (opts.console) {
      mounts['/sandbox'] = createConsole({
        emulator, botUrl: () => botUrl, signingSecret, alertmanagerToken: amToken, demoService: drillService,
        users: s.approvers.map((a) => ({ id: a.id, name: a.name, real_name: a.name, role: a.simulated ? 'simulated approver' : 'approver (you)' })),
      });
    }
    const interval = scaled(1000, scale);
    const clock = systemClock;
    bot = await startBackstop({
      env: env.env, policy, db, logger: log, ids: drillIds, mounts, clock,
      // A drill's own bot runs no drills and serves no metrics of its own.
      drills: false, metrics: false,
      // The drill's ports: the synthetic series answers for the policy's static SLIs, and the
      // local registry is wrapped to inject the scenario's adapter faults.
      sliSources: { static: sli },
      wrapAdapter: (_service, inner) => (adapter = new FaultyAdapter(inner, s.faults, { clock, timeline, timeScale: scale })),
      pacing: { channelIntervalMs: interval, channelBurst: interval === 0 ? 1 : 3 },
      sweepIntervalMs: Math.max(20, Math.min(1000, Math.round(policy.defaults.proposalTtl / 10))),
    });
    botUrl = bot.url;
    opts.onStarted?.({ botUrl: bot.url, consoleUrl: opts.console ? `${bot.url}/sandbox` : null, workDir });

    for (const f of s.faults) {
      if (f.kind === 'slack-429') emulator.failNext(f.method, { status: 429, retryAfter: Math.round(scaled(f.retryAfter, scale) / 1000) }, f.times);
    }

    // The alert: Alertmanager's webhook, as it would arrive in production, marked drill.
    const store = bot.sqlite;
    const startsAt = new Date().toISOString();
    timeline.alertAt = new Date(startsAt);
    const fingerprint = createHash('sha256').update(`${s.name}:${startsAt}:${randomBytes(4).toString('hex')}`).digest('hex').slice(0, 16);
    const fire = (status: 'firing' | 'resolved') => fetch(`${bot!.url}/alerts/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${amToken}` },
      body: JSON.stringify(alertPayload(s, drillService, status, startsAt, fingerprint)),
    }).then(async (r) => {
      if (!r.ok) throw new Error(`the bot refused the drill alert: ${r.status} ${await r.text()}`);
    });
    await fire('firing');
    const deadline = Date.now() + timeoutMs;
    // null: the bot recorded the alert but matched no service (it is then audited, nothing more).
    const incidentId = (await poll(() => store.db.prepare('SELECT incident_id FROM alerts WHERE fingerprint = ?').pluck().get(fingerprint) as string | null | undefined, deadline)) ?? null;

    const proposal = incidentId === null ? undefined : await poll(() => {
      const p = store.proposals.forIncident(incidentId).at(-1);
      if (p) return p;
      return store.audit.forIncident(incidentId).some((e) => e.action === 'proposal.not_possible') ? null : undefined;
    }, deadline) ?? undefined;

    let proposalPostedAt: Date | null = null;
    const slow = new Map<string, number>();
    if (proposal) {
      const message = await poll(() => findProposalMessage(emulator, store.proposals.get(proposal.id)), deadline);
      if (message) {
        proposalPostedAt = new Date(Number(message.ts) * 1000);
        const actor = new SlackActor(emulator, bot.url, signingSecret);
        await Promise.all(s.approvers.map((a) => actAsApprover({ scenario: s, approver: a, proposalId: proposal.id, emulator, actor, store, scale, deadline, slow, channel })));
      }
      await poll(() => {
        const p = store.proposals.get(proposal.id);
        return p && FINAL_STATES.includes(p.state) ? p : undefined;
      }, deadline, 20);
    }
    const timedOut = Date.now() >= deadline;

    // End the incident as Alertmanager would, so the postmortem draft is written (marked by the drill's names).
    await fire('resolved');
    if (incidentId) await poll(() => store.incidents.get(incidentId)?.postmortemPath ?? undefined, Math.max(deadline, Date.now() + 5_000), 20);
    await bot.settled(Math.max(5_000, timeoutMs));

    const final = proposal ? store.proposals.get(proposal.id) : undefined;
    const faults: FaultObservation[] = s.faults.map((f) => {
      switch (f.kind) {
        case 'adapter-fail':
          return { kind: f.kind, detail: `adapter fails its first ${f.attempts} attempt(s)`, observed: adapter?.injected['adapter-fail'] ?? 0 };
        case 'adapter-timeout':
          return { kind: f.kind, detail: `adapter times out (${f.after} ms) on its first ${f.attempts} attempt(s)`, observed: adapter?.injected['adapter-timeout'] ?? 0 };
        case 'sli-down':
          return { kind: f.kind, detail: `SLI source down (${f.during})`, observed: sli.errorsServed };
        case 'slack-429':
          return { kind: f.kind, detail: `Slack answers ${f.method} with 429 ×${f.times}`, observed: emulator.calls.filter((c) => c.method === f.method && c.status === 429).length };
        case 'approver-slow':
          return { kind: f.kind, detail: `${f.approver} clicks ${f.by} ms late`, observed: slow.get(f.approver) ?? 0 };
      }
    });
    const report = buildReport({
      id: drillIds.next('report'), scenario: s, drillService, startedAt, finishedAt: new Date(),
      audit: incidentId ? store.audit.forIncident(incidentId) : [], proposal: final, proposalPostedAt, faults,
      auditChainOk: store.audit.verify().ok, postmortemPath: incidentId ? store.incidents.get(incidentId)?.postmortemPath ?? null : null,
      timedOut, timeoutMs,
    });
    const reports = opts.reports === undefined ? new DrillReportRepo(db) : opts.reports;
    reports?.save(report);

    const names = new Map(s.approvers.map((a) => [a.id, a.name]));
    const transcript = renderTranscript({
      channelName: channel.name, names, botUserId: emulator.botUserId, ephemerals: emulator.ephemerals(),
      threads: emulator.messages(channel.id, { topLevel: true }).map((m) => {
        const thread = emulator.thread(channel.id, m.ts);
        return thread.length > 0 ? thread : [m];
      }),
    });
    return { report, transcript, workDir };
  } finally {
    await bot?.stop();
    await emulator.stop();
    if (!opts.db) db.close();
  }
}

interface ApproverContext {
  scenario: Scenario;
  approver: ScenarioApprover;
  proposalId: string;
  emulator: SlackEmulator;
  actor: SlackActor;
  store: Backstop['sqlite'];
  scale: number;
  deadline: number;
  /** Approver id → delays an approver-slow fault added (for the report). */
  slow: Map<string, number>;
  channel: { id: string; name: string };
}

/**
 * One simulated approver: waits its delay (plus any approver-slow fault), then decides as the
 * scenario says. `auto` reads the proposal's SLI verdict as a careful person would: approve a
 * breach, reject what cannot be measured.
 */
async function actAsApprover(c: ApproverContext): Promise<void> {
  const sim = c.approver.simulated;
  if (!sim || sim.decision === 'ignore') return;
  const extra = c.scenario.faults.reduce((sum, f) => sum + (f.kind === 'approver-slow' && f.approver === c.approver.id ? f.by : 0), 0);
  if (extra > 0) c.slow.set(c.approver.id, (c.slow.get(c.approver.id) ?? 0) + 1);
  await delay(Math.min(scaled(sim.after + extra, c.scale), Math.max(0, c.deadline - Date.now())));
  const p = c.store.proposals.get(c.proposalId);
  if (!p || p.state !== 'pending') return;
  const message = findProposalMessage(c.emulator, p);
  if (!message) return;
  const verdict = overallVerdict(p.sliBefore);
  const decision = sim.decision === 'auto' ? (verdict === 'breach' ? 'approve' : 'reject') : sim.decision;
  if (decision === 'approve') {
    await c.actor.approve(c.approver, c.channel, message);
    return;
  }
  const reason = verdict === 'breach'
    ? 'DRILL: rejected by a simulated approver, as the scenario says'
    : `DRILL: the SLIs are ${verdict}, not a breach; not rolling back blind`;
  await c.actor.reject(c.approver, c.channel, message, reason);
}

function findProposalMessage(emulator: SlackEmulator, p: Proposal | undefined): SlackMessage | undefined {
  if (!p?.messageTs) return undefined;
  return emulator.messages(p.channelId).find((m) => m.ts === p.messageTs);
}

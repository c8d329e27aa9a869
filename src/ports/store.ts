/**
 * What the use cases need from a database, and nothing of how: repositories that answer with
 * promises (so an asynchronous client such as PostgreSQL's can implement them) and one
 * transaction boundary. SQLite implements it in `src/store/`.
 *
 * Rules every implementation keeps:
 * - `tx` is all or nothing, and serialisable for the rows it touches: a proposal's
 *   compare-and-swap (`proposals.save`) sees every write committed before it.
 * - Inside `tx`, use only the repositories it hands you; never wait on the network there.
 */
import type { Alert } from '../domain/alert.js';
import type { Measurement, MeasurementVerdict } from '../domain/analysis.js';
import type { AuditEntry } from '../domain/audit.js';
import type { Incident } from '../domain/incident.js';
import type { Proposal, ProposalState } from '../domain/proposal.js';

export type AlertUpsert = 'new' | 'duplicate' | 'resolved' | 'already_resolved';

/** One alert of an incident, as the incident header shows it. */
export interface IncidentAlert {
  name: string;
  severity: string | null;
  summary: string | null;
  status: 'firing' | 'resolved';
  startsAt: string;
  generatorUrl: string | null;
}

export interface AlertRepository {
  /** Records one delivery; only the first firing and the first resolution of an alert count. */
  upsert(a: Alert, service: string | null, incidentId: string | null, now: string): Promise<AlertUpsert>;
  incidentOf(fingerprint: string, startsAt: string): Promise<string | null>;
  firingCount(incidentId: string): Promise<number>;
  names(incidentId: string): Promise<string[]>;
  /** The incident's alerts in the order they arrived. */
  /** The incident's first `limit` alerts in the order they arrived (a header shows a few, not thousands). */
  forIncident(incidentId: string, limit?: number): Promise<IncidentAlert[]>;
  /** How many of the incident's alerts fire now, and how many it has had. */
  tally(incidentId: string): Promise<{ firing: number; total: number }>;
}

export interface IncidentRepository {
  get(id: string): Promise<Incident | undefined>;
  openFor(service: string): Promise<Incident | undefined>;
  byChannel(channelId: string): Promise<Incident | undefined>;
  listOpen(): Promise<Incident[]>;
  insert(i: Incident): Promise<void>;
  setChannel(id: string, channelId: string): Promise<void>;
  /** False when it was not open (someone else resolved it first). */
  resolve(id: string, at: string, by: string): Promise<boolean>;
  linkPagerDuty(id: string, pagerDutyIncident: string): Promise<void>;
  byPagerDuty(pagerDutyIncident: string): Promise<Incident | undefined>;
  pagerDutyIncident(id: string): Promise<string | null>;
  setPostmortemPath(id: string, path: string): Promise<void>;
  setHeaderTs(id: string, ts: string): Promise<void>;
  /**
   * Claims the next timed status update of an open incident: sets `status_update_at` to `at` only
   * if it still holds `previous` (what the caller read). False when another replica (or this one
   * before a restart) got there first, or the incident is no longer open.
   */
  claimStatusUpdate(id: string, previous: string | null, at: string): Promise<boolean>;
}

export interface ProposalRepository {
  get(id: string): Promise<Proposal | undefined>;
  hasLive(service: string): Promise<boolean>;
  liveFor(service: string): Promise<Proposal | undefined>;
  forIncident(incidentId: string): Promise<Proposal[]>;
  inState(state: ProposalState): Promise<Proposal[]>;
  recent(service: string, limit: number): Promise<Proposal[]>;
  insert(p: Proposal): Promise<void>;
  /** Compare-and-swap on `rev`: false when another writer got there first. */
  save(next: Proposal, expectedRev: number): Promise<boolean>;
  setMessageTs(id: string, ts: string): Promise<void>;
  dueToExpire(now: string): Promise<Proposal[]>;
  dueToAutoExecute(now: string): Promise<Proposal[]>;
  executedFor(service: string, limit?: number): Promise<Proposal[]>;
}

/** An audit row as the caller gives it: the trail adds its place in the chain (`seq`, hashes). */
export type AuditInput = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

export interface AuditTrail {
  /** Inside the transaction of the change it records. */
  append(input: AuditInput): Promise<AuditEntry>;
  forIncident(incidentId: string): Promise<AuditEntry[]>;
  forProposal(proposalId: string): Promise<AuditEntry[]>;
}

export type OutboxKind = 'post' | 'thread' | 'update_proposal' | 'update_incident' | 'upload' | 'pagerduty_note' | 'pagerduty_resolve';

/** 0: proposals and decisions (approve, execute, verify); 1: everything else. */
export type OutboxPriority = 0 | 1;

/** A step to post, as its fact and audit reference: the Slack side words it when it sends. */
export interface QueuedStep {
  fact: Record<string, unknown> & { action: string };
  seq: number;
  hash: string;
  actor: string;
  at: string;
  drill: boolean;
}

export interface OutboxPayload {
  /** Plain text (PagerDuty notes), or Slack's fallback text for rows queued before steps were facts. */
  text: string;
  blocks?: unknown[];
  step?: QueuedStep;
  /** An `upload` item: the file itself, base64, so any replica can send it. */
  upload?: QueuedUpload;
}

/** A file to share in a thread (postmortem draft, SLI chart); `title` is how Slack is searched for it after a crash. */
export interface QueuedUpload {
  filename: string;
  title: string;
  contentBase64: string;
  altText?: string;
}

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  channelId: string | null;
  proposalId: string | null;
  incidentId: string | null;
  payload: OutboxPayload;
  attempts: number;
  priority: number;
  nextAttemptAt: string;
  /** When the item was first handed to Slack (absent until then): unsent, it may be in Slack already. */
  sendingSince?: string;
}

export interface OutboxQueue {
  /** Inside the transaction of the change the message reports. */
  enqueue(kind: OutboxKind, target: { channelId?: string | null; proposalId?: string | null; incidentId?: string | null }, body: OutboxPayload, now: string, priority?: OutboxPriority): Promise<number>;
  /** The oldest unsent item of every stream, most urgent first. */
  heads(): Promise<OutboxItem[]>;
  /**
   * Records, before a message is posted, that it is in flight (the first such time is kept). An
   * item still unsent with this mark may have reached Slack before the sender died: the next
   * sender looks for it there before posting it again.
   */
  markSending(id: number, now: string): Promise<void>;
  markSent(id: number, now: string): Promise<void>;
  markProposalUpdatesSent(proposalId: string, uptoId: number, now: string): Promise<void>;
  laterProposalUpdate(proposalId: string, afterId: number): Promise<number | undefined>;
  /** As for proposals: one edit of the incident header carries every update queued up to `uptoId`. */
  markIncidentUpdatesSent(incidentId: string, uptoId: number, now: string): Promise<void>;
  laterIncidentUpdate(incidentId: string, afterId: number): Promise<number | undefined>;
  /**
   * The unsent items queued after `id` in its stream, oldest first (at most `limit`): steps the
   * drainer may fold into one message with it.
   */
  following(id: number, limit: number): Promise<OutboxItem[]>;
  markFailed(id: number, error: string, nextAttemptAt: string): Promise<void>;
  pending(): Promise<number>;
}

export interface ExecutionRow {
  proposalId: string;
  attempts: number;
  startedAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  finishedAt: string | null;
  outcome: string | null;
}

export interface ExecutionRepository {
  start(proposalId: string, at: string): Promise<void>;
  attempt(proposalId: string, at: string): Promise<void>;
  failedAttempt(proposalId: string, error: string): Promise<void>;
  finish(proposalId: string, at: string, outcome: 'succeeded' | 'failed' | 'reconciled', error: string | null): Promise<void>;
  get(proposalId: string): Promise<ExecutionRow | undefined>;
}

export interface Deploy {
  service: string;
  version: string;
  at: string;
  by: string;
}

export interface DeployRepository {
  record(d: Deploy, receivedAt: string): Promise<void>;
  recent(service: string, limit?: number): Promise<Deploy[]>;
}

export interface SeenRequestRepository {
  /** False when this signature was seen before (a replay). */
  remember(signature: string, at: string): Promise<boolean>;
  forgetBefore(at: string): Promise<number>;
}

export interface MeasurementRepository {
  add(m: { service: string; sli: string; at: string; verdict: MeasurementVerdict; value: number | null; baseline: number | null; reason: string; collecting?: boolean }): Promise<void>;
  since(service: string, sli: string, since: string, limit?: number): Promise<Measurement[]>;
}

export interface Repositories {
  incidents: IncidentRepository;
  alerts: AlertRepository;
  proposals: ProposalRepository;
  audit: AuditTrail;
  outbox: OutboxQueue;
  executions: ExecutionRepository;
  deploys: DeployRepository;
  seen: SeenRequestRepository;
  measurements: MeasurementRepository;
}

export interface StorePort extends Repositories {
  /** Runs `fn` in one transaction with the repositories it hands over: all of it commits, or none. */
  tx<T>(fn: (r: Repositories) => Promise<T>): Promise<T>;
}

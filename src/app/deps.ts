import type { Policy, ResolvedService } from '../config/policy.js';
import type { Logger } from '../log/logger.js';
import type { Chat, Directory } from '../ports/chat.js';
import type { Checkpoint } from '../ports/checkpoint.js';
import type { Clock } from '../ports/clock.js';
import type { Ids } from '../ports/ids.js';
import type { Pager } from '../ports/pager.js';
import type { PostmortemSink } from '../ports/postmortem-sink.js';
import type { RollbackAdapter } from '../ports/rollback-adapter.js';
import type { SliCharts } from '../ports/sli-chart.js';
import type { SliSource } from '../ports/sli-source.js';
import type { Tasks } from '../ports/tasks.js';
import type { StorePort } from '../ports/store.js';

/** Everything a use case may touch, passed in: no use case builds its own clients. */
export interface Deps {
  store: StorePort;
  policy: Policy;
  clock: Clock;
  ids: Ids;
  chat: Chat;
  directory: Directory;
  tasks: Tasks;
  postmortems: PostmortemSink;
  /** Draws SLI charts for the postmortem and `/backstop status <service>` (absent: no charts). */
  charts?: SliCharts;
  log: Logger;
  service(name: string): ResolvedService | undefined;
  adapter(service: string): RollbackAdapter;
  sliSource(kind: string): SliSource;
  /** Link to a service's runbook, or null. */
  runbookUrl(service: string): string | null;
  /** The drill scheduler, when drills are configured (`/backstop drill`). */
  drills?: { trigger(scenario: string, requestedBy?: string): Promise<{ status: 'ran' } | { status: 'skipped' | 'error'; message: string }>; busy(): boolean };
  /** PagerDuty, when configured. */
  pager?: Pager;
  /** Re-renders a proposal message; provided by the Slack layer. */
  renderProposal(proposalId: string): Promise<{ text: string; blocks: unknown[] } | undefined>;
  /** Called when new outbox rows were committed. */
  kickOutbox(): void;
  /** Arms the exact-time timer of an automatic rollback (absent in tests that drive time by hand). */
  armAutoExecute?(proposalId: string, at: Date): void;
  /** See ports/checkpoint.ts. */
  checkpoint?(name: Checkpoint): void;
}

import type { Deps } from './app/deps.js';
import { resolveService, type Policy } from './config/policy.js';
import type { Logger } from './log/logger.js';
import type { Chat, Directory } from './ports/chat.js';
import type { Checkpoint } from './ports/checkpoint.js';
import type { Clock } from './ports/clock.js';
import type { Ids } from './ports/ids.js';
import type { Pager } from './ports/pager.js';
import type { PostmortemSink } from './ports/postmortem-sink.js';
import type { RollbackAdapter } from './ports/rollback-adapter.js';
import type { SliCharts } from './ports/sli-chart.js';
import type { SliSource } from './ports/sli-source.js';
import { lazySliCharts } from './chart/lazy-sli-charts.js';
import type { StorePort } from './ports/store.js';
import type { Tasks } from './ports/tasks.js';
import { proposalBlocks, proposalText } from './slack/views/proposal.js';
import { headerLinkBlock } from './slack/views/incident-header.js';

/** The parts a running Backstop is made of; `composeDeps` adds the rules that are the same everywhere. */
export interface DepsParts {
  policy: Policy;
  store: StorePort;
  clock: Clock;
  ids: Ids;
  chat: Chat;
  directory: Directory;
  tasks: Tasks;
  log: Logger;
  postmortems: PostmortemSink;
  /** Default: echarts rendered to PNG by resvg. */
  charts?: SliCharts;
  /** Builds the rollback target of one service (called once per service, then cached). */
  buildAdapter(service: string): RollbackAdapter;
  sliSources: Record<string, SliSource>;
  pager?: Pager;
  checkpoint?(name: Checkpoint): void;
  kickOutbox(): void;
}

/**
 * Everything a use case may touch, from its parts. The production bot, the sandbox, drills, the
 * backtest and the test harness all build their Deps here, so a runbook link or a proposal
 * message never differs between them.
 */
export function composeDeps(parts: DepsParts): Deps {
  const { policy, store } = parts;
  const adapters = new Map<string, RollbackAdapter>();
  const deps: Deps = {
    store, policy, clock: parts.clock, ids: parts.ids, chat: parts.chat, directory: parts.directory, tasks: parts.tasks,
    log: parts.log, postmortems: parts.postmortems, charts: parts.charts ?? lazySliCharts(), pager: parts.pager, checkpoint: parts.checkpoint,
    kickOutbox: () => parts.kickOutbox(),
    service: (name) => resolveService(policy, name),
    adapter(service) {
      let a = adapters.get(service);
      if (!a) {
        if (!policy.services[service]) throw new Error(`unknown service ${service}`);
        a = parts.buildAdapter(service);
        adapters.set(service, a);
      }
      return a;
    },
    sliSource(kind) {
      const s = parts.sliSources[kind];
      if (!s) throw new Error(`SLI source "${kind}" is not available in this build`);
      return s;
    },
    runbookUrl(service) {
      const path = policy.services[service]?.runbook;
      if (!path) return null;
      if (/^https?:\/\//.test(path)) return path;
      return policy.runbookBaseUrl ? new URL(path, policy.runbookBaseUrl).toString() : null;
    },
    async renderProposal(id) {
      const p = await store.proposals.get(id);
      const svc = p && resolveService(policy, p.service);
      if (!p || !svc) return undefined;
      const blocks = proposalBlocks({ proposal: p, approvers: svc.approvers, runbookUrl: deps.runbookUrl(p.service), runbookPath: svc.runbook ?? null, adapter: deps.adapter(p.service).describe(),
        after: { settleMs: svc.settle, readBackTimeoutMs: svc.readBackTimeout, readBackIntervalMs: svc.readBackInterval, ...(svc.stages ? { stages: svc.stages } : {}) } });
      // Proposals stay top level (their threads are the audit trail) and point back to the incident header.
      const incident = await store.incidents.get(p.incidentId);
      const backToHeader = incident && headerLinkBlock(incident);
      return { text: proposalText(p), blocks: backToHeader ? [...blocks, backToHeader] : blocks };
    },
  };
  return deps;
}

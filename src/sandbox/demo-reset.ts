import { transitionIn } from '../app/apply-transition.js';
import type { Deps } from '../app/deps.js';
import { recordStep } from '../app/record-step.js';
import type { OutboxKind } from '../ports/store.js';

/**
 * Sandbox only: closes what an earlier demo left open, so the demo alert proposes afresh. Each
 * open incident of the demo service is resolved and its pending proposals cancelled through the
 * use cases' own steps (state machine, audit rows, thread lines), by `actor`.
 *
 * `slack: 'gone'` (a new start: the last run's Slack was an in-memory emulator that no longer
 * exists) then drops every unsent Slack message: they point at messages and threads of that
 * workspace and would be retried forever. Each keeps its reason in `last_error`. PagerDuty notes
 * are left alone (the sandbox sends none unless configured, and that service is still there).
 */
export interface DemoReset {
  incidents: number;
  proposals: number;
  droppedMessages: number;
  message: string;
}

const NOT_SLACK: ReadonlySet<OutboxKind> = new Set(['pagerduty_note', 'pagerduty_resolve']);
/** Far more than a demo queues; stops the loop should a store ever refuse to mark an item. */
const MAX_DROPS = 10_000;

export async function resetDemo(deps: Deps, opts: { service: string; actor: string; slack: 'here' | 'gone' }): Promise<DemoReset> {
  const reason = opts.slack === 'gone' ? 'the sandbox restarted: the demo starts fresh' : 'the sandbox demo was reset';
  const open = (await deps.store.incidents.listOpen()).filter((i) => i.service === opts.service);
  let proposals = 0;
  for (const incident of open) {
    proposals += await deps.store.tx(async (r) => {
      if (!(await r.incidents.resolve(incident.id, deps.clock.now().toISOString(), opts.actor))) return 0;
      const list = await r.proposals.forIncident(incident.id);
      await recordStep(deps, r, {
        incidentId: incident.id, proposalId: list.at(-1)?.id ?? null, actor: opts.actor,
        fact: { action: 'incident.resolved', by: { kind: 'user', user: opts.actor } },
        details: { sandboxReset: true },
      });
      let cancelled = 0;
      for (const p of list) {
        if (p.state !== 'pending') continue;
        const t = await transitionIn(deps, r, p.id, { type: 'cancel', reason }, opts.actor, { sandboxReset: true });
        if (t.ok) cancelled += 1;
      }
      return cancelled;
    });
  }
  const droppedMessages = opts.slack === 'gone' ? await dropUndeliverable(deps) : 0;
  if (opts.slack === 'here') deps.kickOutbox();
  const message = open.length === 0
    ? `Demo reset: no ${opts.service} incident was open.`
    : `Demo reset: ${open.length} ${opts.service} incident${open.length === 1 ? '' : 's'} resolved, ${proposals} pending proposal${proposals === 1 ? '' : 's'} cancelled.`;
  return { incidents: open.length, proposals, droppedMessages, message };
}

/** Marks every unsent Slack message done without sending it, its reason kept in `last_error`. */
async function dropUndeliverable(deps: Deps): Promise<number> {
  const why = 'dropped by the sandbox at start: the Slack emulator this message was for is gone';
  let dropped = 0;
  while (dropped < MAX_DROPS) {
    const heads = (await deps.store.outbox.heads()).filter((h) => !NOT_SLACK.has(h.kind));
    if (heads.length === 0) break;
    for (const h of heads) {
      const now = deps.clock.now().toISOString();
      await deps.store.outbox.markFailed(h.id, why, now);
      await deps.store.outbox.markSent(h.id, now);
      dropped += 1;
    }
  }
  return dropped;
}

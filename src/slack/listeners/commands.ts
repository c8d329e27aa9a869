import { DRILL_MARK } from '../../domain/drill.js';
import { mrkdwn } from '../views/mrkdwn.js';
import { ackFirst } from './after-ack.js';
import type { App } from '@slack/bolt';
import type { Deps } from '../../app/deps.js';
import { requestRollback } from '../../app/request-rollback.js';
import { resolveIncident } from '../../app/resolve-incident.js';
import { serviceChart } from '../../app/service-chart.js';
import { ChatError } from '../../ports/chat.js';
import { breakGlass } from '../../app/stop-and-break-glass.js';
import { explainPolicy } from '../views/policy-explainer.js';
import { describeState } from '../../domain/proposal.js';
import { parseCommand, USAGE } from '../command-parser.js';
import { COMMAND } from '../ids.js';

/** `/backstop …`: ack at once; answers go back to the caller only (ephemeral). */
export function registerCommands(app: App, deps: Deps): void {
  app.command(COMMAND, async ({ ack, command, respond }) => {
    await ackFirst(ack);
    const reply = (text: string) => respond({ response_type: 'ephemeral', text }).catch((err: unknown) => deps.log.warn({ err }, 'respond failed'));
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) return void (await reply(parsed.error));
    const c = parsed.command;
    switch (c.kind) {
      case 'help':
        return void (await reply(USAGE));
      case 'status':
        await reply(await statusText(deps));
        if (c.service) await shareChart(deps, c.service, command.channel_id, reply);
        return;
      case 'history':
        return void (await reply(await historyText(deps, c.service)));
      case 'rollback': {
        const res = await requestRollback(deps, { service: c.service, user: command.user_id, reason: c.reason });
        return void (await reply(res.ok
          ? `Proposed rolling back ${c.service} ${res.proposal.fromVersion ?? 'unknown'} → ${res.proposal.toVersion} in <#${res.proposal.channelId}>. You requested it, so others must approve.`
          : res.message));
      }
      case 'policy': {
        const svc = deps.service(c.service);
        return void (await reply(svc ? explainPolicy(svc) : `Unknown service "${c.service}". Configured: ${Object.keys(deps.policy.services).join(', ')}.`));
      }
      case 'breakglass': {
        const res = await breakGlass(deps, c.service, command.user_id, c.reason);
        return void (await reply(mrkdwn(res.message)));
      }
      case 'drill': {
        const drills = deps.drills;
        if (!drills) return void (await reply('Drills are not configured: add a `drills:` block to the policy.'));
        if (drills.busy()) return void (await reply(`${DRILL_MARK}A drill is already running; drills never overlap.`));
        void drills.trigger(c.scenario, command.user_id).then((r) => (r.status === 'ran' ? undefined : reply(`${DRILL_MARK}${r.message}`)));
        return void (await reply(`${DRILL_MARK}Drill ${c.scenario} requested: it is announced in <#${deps.policy.drills!.channel}> and starts after the announcement lead.`));
      }
      case 'resolve': {
        const incident = c.service ? await deps.store.incidents.openFor(c.service) : await deps.store.incidents.byChannel(command.channel_id);
        if (!incident || incident.status !== 'open') {
          return void (await reply(c.service ? `No open incident for ${c.service}.` : 'No open incident in this channel; name the service: `/backstop resolve <service>`.'));
        }
        const res = await resolveIncident(deps, incident.id, { kind: 'person', user: command.user_id });
        return void (await reply(res.message));
      }
    }
  });
}

/** Uploads the service's SLI chart where the command was typed; says why not when it cannot. */
async function shareChart(deps: Deps, service: string, channel: string, reply: (text: string) => Promise<unknown>): Promise<void> {
  try {
    const chart = await serviceChart(deps, service);
    if (!chart.ok) return void (await reply(chart.message));
    await deps.chat.upload({ channel, filename: chart.filename, title: chart.title, content: chart.png, altText: chart.altText });
  } catch (err) {
    deps.log.warn({ err, service }, 'could not share the SLI chart');
    const why = err instanceof ChatError ? (err.details.slackError ?? err.code) : 'the chart could not be drawn';
    await reply(`Could not share the chart of ${service} here (${why})${why === 'not_in_channel' ? ': invite Backstop to this channel' : ''}.`);
  }
}

async function statusText(deps: Deps): Promise<string> {
  const open = await deps.store.incidents.listOpen();
  if (open.length === 0) return 'No open incidents.';
  const lines = await Promise.all(open.map(async (i) => {
    const live = await deps.store.proposals.liveFor(i.service);
    const p = live ? `; rollback ${live.fromVersion ?? '?'} → ${live.toVersion} ${describeState(live.state)} (${live.approvals.length}/${live.requiredApprovals})` : '';
    return `• ${i.service}: ${i.title} (since ${i.openedAt})${i.channelId ? ` in <#${i.channelId}>` : ''}${p}`;
  }));
  return lines.join('\n');
}

async function historyText(deps: Deps, service: string): Promise<string> {
  if (!deps.service(service)) return `Unknown service "${service}".`;
  const proposals = await deps.store.proposals.recent(service, 10);
  if (proposals.length === 0) return `No rollbacks proposed for ${service} yet.`;
  return [`*Recent rollbacks of ${service}*`, ...proposals.map((p) =>
    `• ${p.createdAt} ${p.fromVersion ?? '?'} → ${p.toVersion}: ${describeState(p.state)}; approved by ${p.approvals.map((a) => `<@${a.user}>`).join(', ') || 'nobody'}`)].join('\n');
}

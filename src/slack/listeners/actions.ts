import { ackFirst } from './after-ack.js';
import { DRILL_MARK, isDrill } from '../../domain/drill.js';
import { said } from '../../domain/said.js';
import { mrkdwn } from '../views/mrkdwn.js';
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../../app/deps.js';
import { mayDecide, recordDecision } from '../../app/record-decision.js';
import { rollForward, stopAutomatic } from '../../app/stop-and-break-glass.js';
import { ACTION_APPROVE, ACTION_REJECT, ACTION_REJECT_REASON, ACTION_ROLL_FORWARD, ACTION_STOP, BLOCK_REJECT_REASON, VIEW_REJECT } from '../ids.js';
import { rejectModal } from '../views/reject-modal.js';

/** Approve / Reject buttons: ack at once, then call one use case and tell the clicker. */
export function registerActions(app: App, deps: Deps): void {
  app.action<BlockAction<ButtonAction>>(ACTION_APPROVE, async ({ ack, body, action }) => {
    await ackFirst(ack);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const log = deps.log.child({ proposalId: action.value, user: body.user.id });
    const res = await recordDecision(deps, { proposalId: action.value ?? '', user: body.user.id, decision: 'approve', from: { channelId: channel, messageTs: body.container?.message_ts ?? body.message?.ts } });
    log.info({ ok: res.ok, code: res.ok ? undefined : res.code }, 'approve clicked');
    if (channel) await tell(deps, channel, body.user.id, mrkdwn(res.ok ? res.message : said`Not approved: ${res.message}`), body.message?.ts, action.value);
  });

  app.action<BlockAction<ButtonAction>>(ACTION_REJECT, async ({ ack, body, action, client }) => {
    await ackFirst(ack);
    const proposal = await deps.store.proposals.get(action.value ?? '');
    const channel = body.channel?.id ?? body.container?.channel_id;
    const messageTs = body.container?.message_ts ?? body.message?.ts;
    if (proposal && ((channel && channel !== proposal.channelId) || (messageTs && proposal.messageTs && messageTs !== proposal.messageTs))) {
      if (channel) await tell(deps, channel, body.user.id, 'This button does not belong to that proposal.', messageTs, action.value);
      return;
    }
    if (!proposal || proposal.state !== 'pending') {
      if (channel) await tell(deps, channel, body.user.id, `Nothing to reject: the proposal is ${proposal?.state ?? 'unknown'}.`, body.message?.ts, action.value);
      return;
    }
    // The approver rule first: a modal for someone who may not reject would only waste their time.
    const approvers = deps.service(proposal.service)?.approvers;
    const check = approvers ? await mayDecide(deps, proposal, approvers, body.user.id) : undefined;
    if (!check?.ok) {
      if (channel) await tell(deps, channel, body.user.id, mrkdwn(check ? said`Not rejected: ${check.message}` : ['Not rejected: the service is no longer in the policy.']), messageTs, proposal.id);
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: rejectModal(proposal) });
  });

  app.action<BlockAction<ButtonAction>>(ACTION_STOP, async ({ ack, body, action }) => {
    await ackFirst(ack);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const proposal = await deps.store.proposals.get(action.value ?? '');
    if (!proposal || (channel && channel !== proposal.channelId)) {
      if (channel) await tell(deps, channel, body.user.id, 'This button does not belong to that proposal.', body.message?.ts);
      return;
    }
    const res = await stopAutomatic(deps, proposal.id, body.user.id);
    if (channel) await tell(deps, channel, body.user.id, mrkdwn(res.ok ? res.message : said`Not stopped: ${res.message}`), body.message?.ts, proposal.id);
  });

  app.action<BlockAction<ButtonAction>>(ACTION_ROLL_FORWARD, async ({ ack, body, action }) => {
    await ackFirst(ack);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const proposal = await deps.store.proposals.get(action.value ?? '');
    if (!proposal || (channel && channel !== proposal.channelId)) return;
    const res = await rollForward(deps, proposal.id, body.user.id);
    if (channel) await tell(deps, channel, body.user.id, res.ok ? `Proposed rolling forward to ${res.proposal.toVersion}; it needs the usual approvals.` : res.message, body.message?.ts, proposal.id);
  });

  app.view<ViewSubmitAction>(VIEW_REJECT, async ({ ack, body, view }) => {
    const reason = view.state.values[BLOCK_REJECT_REASON]?.[ACTION_REJECT_REASON]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [BLOCK_REJECT_REASON]: 'Say why, so the thread and postmortem record it.' } });
      return;
    }
    await ackFirst(ack);
    const proposalId = view.private_metadata;
    const res = await recordDecision(deps, { proposalId, user: body.user.id, decision: 'reject', reason });
    const p = await deps.store.proposals.get(proposalId);
    if (p) await tell(deps, p.channelId, body.user.id, mrkdwn(res.ok ? res.message : said`Not rejected: ${res.message}`), p.messageTs ?? undefined, p.id);
  });
}

/** An ephemeral answer to the clicker; a drill's says DRILL like every other message of the drill. */
async function tell(deps: Deps, channel: string, user: string, text: string, threadTs?: string, proposalId?: string): Promise<void> {
  const service = proposalId ? (await deps.store.proposals.get(proposalId))?.service : undefined;
  const marked = isDrill(service) ? `${DRILL_MARK}${text}` : text;
  try {
    await deps.chat.postEphemeral({ channel, user, text: marked, threadTs });
  } catch (err) {
    deps.log.warn({ err, user }, 'could not send ephemeral reply');
  }
}

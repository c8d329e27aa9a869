import type { View } from '@slack/types';
import type { Proposal } from '../../domain/proposal.js';
import { ACTION_REJECT_REASON, BLOCK_REJECT_REASON, VIEW_REJECT } from '../ids.js';

export function rejectModal(p: Proposal): View {
  return {
    type: 'modal',
    callback_id: VIEW_REJECT,
    private_metadata: p.id,
    title: { type: 'plain_text', text: 'Reject rollback' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Reject rolling back *${p.service}* from \`${p.fromVersion ?? 'unknown'}\` to \`${p.toVersion}\`?` } },
      {
        type: 'input',
        block_id: BLOCK_REJECT_REASON,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: ACTION_REJECT_REASON, multiline: true, max_length: 500 },
      },
    ],
  };
}

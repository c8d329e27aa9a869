/** Action, block and view IDs: named once, so listeners and views cannot drift apart. */
export const ACTION_APPROVE = 'backstop_approve';
export const ACTION_REJECT = 'backstop_reject';
export const BLOCK_DECISION = 'backstop_decision';
export const VIEW_REJECT = 'backstop_reject_view';
export const BLOCK_REJECT_REASON = 'backstop_reject_reason';
export const ACTION_REJECT_REASON = 'backstop_reject_reason_input';
export const COMMAND = '/backstop';
export const ACTION_STOP = 'backstop_stop';
export const ACTION_ROLL_FORWARD = 'backstop_roll_forward';

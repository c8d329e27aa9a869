/**
 * Socket Mode envelopes as Slack sends them over the WebSocket, and how one is made from the
 * form body Slack would have POSTed to a Request URL in HTTP mode (the same interaction).
 */

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

/** Slack takes a response payload in the ack where an HTTP answer body would carry one. */
export function acceptsResponsePayload(type: EnvelopeType, payload: Record<string, unknown>): boolean {
  if (type === 'slash_commands') return true;
  if (type === 'interactive') return payload.type === 'view_submission' || payload.type === 'block_suggestion';
  return false;
}

/**
 * An HTTP-mode body turned into what Socket Mode delivers: an interaction's `payload=<json>`
 * becomes an `interactive` envelope with that object, a slash command's form fields a
 * `slash_commands` envelope with them as strings, a JSON event callback an `events_api` one.
 */
export function envelopeContent(body: string): { type: EnvelopeType; payload: Record<string, unknown> } {
  const trimmed = body.trimStart();
  if (trimmed.startsWith('{')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!isRecord(parsed)) throw new Error('an event body must be a JSON object');
    return { type: 'events_api', payload: parsed };
  }
  const form = new URLSearchParams(body);
  const interaction = form.get('payload');
  if (interaction !== null) {
    const parsed: unknown = JSON.parse(interaction);
    if (!isRecord(parsed)) throw new Error('an interaction payload must be a JSON object');
    return { type: 'interactive', payload: parsed };
  }
  if (!form.get('command')) throw new Error('neither an interaction (payload=…) nor a slash command (command=…)');
  return { type: 'slash_commands', payload: Object.fromEntries(form) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';

/**
 * The shapes of Slack request this app handles, checked after the signature and before
 * Bolt: a signed but malformed body gets a clear 400 instead of reaching a listener.
 */
const id = z.string().min(1).max(64);

const blockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id }),
  actions: z.array(z.object({ action_id: z.string().min(1).max(255), block_id: z.string().max(255).optional(), value: z.string().max(2000).optional() })).min(1).max(25),
  container: z.object({ message_ts: z.string().max(32).optional(), channel_id: z.string().max(64).optional() }).optional(),
  channel: z.object({ id }).optional(),
  trigger_id: z.string().max(255).optional(),
  response_url: z.string().max(2000).optional(),
});

const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id }),
  view: z.object({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000).default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ type: z.string(), value: z.string().nullable().optional() }))) }),
  }),
});

const viewClosed = z.object({ type: z.literal('view_closed'), user: z.object({ id }), view: z.object({ callback_id: z.string().max(255) }) });

const interaction = z.discriminatedUnion('type', [blockActions, viewSubmission, viewClosed]);

const slashCommand = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]{1,32}$/),
  text: z.string().max(4000).default(''),
  user_id: id,
  channel_id: id,
  team_id: id,
  response_url: z.string().max(2000).optional(),
  trigger_id: z.string().max(255).optional(),
});

const eventsApi = z.object({ type: z.literal('url_verification'), challenge: z.string().max(200) });

export type EnvelopeCheck = { ok: true } | { ok: false; message: string };

export function checkEnvelope(contentType: string | undefined, body: string): EnvelopeCheck {
  const issues = (e: z.ZodError) => e.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = parseQuery(body);
    if (form.ssl_check === '1') return { ok: true };
    if (typeof form.payload === 'string') {
      let json: unknown;
      try {
        json = JSON.parse(form.payload);
      } catch {
        return { ok: false, message: 'payload is not JSON' };
      }
      const r = interaction.safeParse(json);
      return r.success ? { ok: true } : { ok: false, message: `unsupported interaction payload: ${issues(r.error)}` };
    }
    const r = slashCommand.safeParse(form);
    return r.success ? { ok: true } : { ok: false, message: `not a slash command: ${issues(r.error)}` };
  }
  if (contentType === 'application/json') {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, message: 'body is not JSON' };
    }
    const r = eventsApi.safeParse(json);
    return r.success ? { ok: true } : { ok: false, message: `unsupported event: ${issues(r.error)}` };
  }
  return { ok: false, message: 'content-type must be application/x-www-form-urlencoded (interactions, commands) or application/json (events)' };
}

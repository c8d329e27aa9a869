/**
 * Block Kit validation for the Slack emulator: Slack's documented limits encoded as zod schemas, with
 * errors reported the way Slack's `invalid_blocks` answer does in `response_metadata.messages`:
 * `[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]`.
 *
 * Objects are strict (Slack refuses unknown properties in the blocks it models); block and element
 * types this emulator does not model in detail (rich_text, file, video, selects, inputs…) are
 * accepted with only their ids checked, so a valid message is never refused here.
 */
import { z } from 'zod';

/** Slack's documented Block Kit limits (from the @slack/types docs and api.slack.com). */
export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  actionsElements: 25,
  contextElements: 10,
  altText: 2000,
  imageTitle: 2000,
  markdownText: 12_000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  inputLabel: 2000,
  inputHint: 2000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
} as const;

const L = BLOCK_KIT_LIMITS;

// ---------------------------------------------------------------------------------------------
// Composition objects

const plainText = (max: number) =>
  z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const mrkdwn = (max: number) =>
  z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max), verbatim: z.boolean().optional() });
const textObject = (max: number) => z.discriminatedUnion('type', [plainText(max), mrkdwn(max)]);

const id = z.string().min(1).max(L.id);
const url = z
  .string()
  .min(1)
  .max(L.url)
  .refine((s) => URL.canParse(s), { message: 'must be a valid URL' });

const confirmDialog = z.strictObject({
  title: plainText(L.confirmTitle),
  text: textObject(L.confirmText),
  confirm: plainText(L.confirmButton),
  deny: plainText(L.confirmButton),
  style: z.enum(['primary', 'danger']).optional(),
});

const slackFile = z.looseObject({ id: z.string().optional(), url: z.string().optional() });

// ---------------------------------------------------------------------------------------------
// Elements

const button = z.strictObject({
  type: z.literal('button'),
  text: plainText(L.buttonText),
  action_id: id.optional(),
  url: url.optional(),
  value: z.string().max(L.buttonValue).optional(),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: confirmDialog.optional(),
  accessibility_label: z.string().min(1).max(L.buttonText).optional(),
});

const imageElement = z
  .strictObject({
    type: z.literal('image'),
    image_url: url.optional(),
    slack_file: slackFile.optional(),
    alt_text: z.string().min(1).max(L.altText),
  })
  .superRefine(requireImageSource);

/** Interactive elements modelled loosely: only their action_id limit is enforced. */
const OTHER_INTERACTIVE = [
  'static_select',
  'multi_static_select',
  'external_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
  'overflow',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'checkboxes',
  'radio_buttons',
  'workflow_button',
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'rich_text_input',
  'file_input',
] as const;
const otherInteractive = z.looseObject({ type: z.enum(OTHER_INTERACTIVE), action_id: id.optional() });

const actionElement = z.discriminatedUnion('type', [button, otherInteractive]);
const accessory = z.discriminatedUnion('type', [button, imageElement, otherInteractive]);
const contextElement = z.discriminatedUnion('type', [imageElement, plainText(Infinity), mrkdwn(Infinity)]);

function requireImageSource(v: { image_url?: string | undefined; slack_file?: unknown }, ctx: z.RefinementCtx): void {
  if (v.image_url === undefined && v.slack_file === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must provide either image_url or slack_file', path: ['image_url'] });
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks

const header = z.strictObject({ type: z.literal('header'), block_id: id.optional(), text: plainText(L.headerText) });

const section = z
  .strictObject({
    type: z.literal('section'),
    block_id: id.optional(),
    text: textObject(L.sectionText).optional(),
    fields: z.array(textObject(L.fieldText)).min(1).max(L.sectionFields).optional(),
    accessory: accessory.optional(),
    expand: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.text === undefined && s.fields === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must provide either text or fields', path: ['text'] });
    }
  });

const context = z.strictObject({
  type: z.literal('context'),
  block_id: id.optional(),
  elements: z.array(contextElement).min(1).max(L.contextElements),
});

const divider = z.strictObject({ type: z.literal('divider'), block_id: id.optional() });

const actions = z
  .strictObject({
    type: z.literal('actions'),
    block_id: id.optional(),
    elements: z.array(actionElement).min(1).max(L.actionsElements),
  })
  .superRefine((block, ctx) => {
    const seen = new Set<string>();
    block.elements.forEach((el, i) => {
      if (el.action_id === undefined) return;
      if (seen.has(el.action_id)) {
        ctx.addIssue({ code: 'custom', message: `duplicate action_id: ${el.action_id}`, path: ['elements', i, 'action_id'] });
      }
      seen.add(el.action_id);
    });
  });

const image = z
  .strictObject({
    type: z.literal('image'),
    block_id: id.optional(),
    image_url: url.optional(),
    slack_file: slackFile.optional(),
    alt_text: z.string().min(1).max(L.altText),
    title: plainText(L.imageTitle).optional(),
  })
  .superRefine(requireImageSource);

const markdown = z.strictObject({ type: z.literal('markdown'), block_id: id.optional(), text: z.string().min(1).max(L.markdownText) });

const input = z.strictObject({
  type: z.literal('input'),
  block_id: id.optional(),
  label: plainText(L.inputLabel),
  element: otherInteractive,
  hint: plainText(L.inputHint).optional(),
  optional: z.boolean().optional(),
  dispatch_action: z.boolean().optional(),
});

/** Accepted with only the block_id checked. */
const passthrough = z.looseObject({ type: z.enum(['rich_text', 'file', 'video']), block_id: id.optional() });

export const blockSchema = z.discriminatedUnion('type', [header, section, context, divider, actions, image, markdown, input, passthrough]);
export type ValidatedBlock = z.infer<typeof blockSchema>;

export type Surface = 'message' | 'modal';

/** A list of blocks for a surface: count limit and unique block_ids. */
export function blocksSchema(surface: Surface = 'message') {
  const max = surface === 'modal' ? L.modalBlocks : L.messageBlocks;
  return z
    .array(blockSchema)
    .max(max)
    .superRefine((blocks, ctx) => {
      const seen = new Set<string>();
      blocks.forEach((b, i) => {
        if (b.block_id === undefined) return;
        if (seen.has(b.block_id)) {
          ctx.addIssue({ code: 'custom', message: `duplicate block_id: ${b.block_id}`, path: [i, 'block_id'] });
        }
        seen.add(b.block_id);
      });
    });
}

/** A modal view as `views.open` takes it. */
export const viewSchema = z
  .strictObject({
    type: z.literal('modal'),
    title: plainText(L.modalTitle),
    blocks: blocksSchema('modal'),
    close: plainText(L.modalButton).optional(),
    submit: plainText(L.modalButton).optional(),
    private_metadata: z.string().max(L.privateMetadata).optional(),
    callback_id: z.string().max(L.callbackId).optional(),
    clear_on_close: z.boolean().optional(),
    notify_on_close: z.boolean().optional(),
    external_id: z.string().max(L.id).optional(),
    submit_disabled: z.boolean().optional(),
  })
  .superRefine((view, ctx) => {
    if (view.submit === undefined && view.blocks.some((b) => b.type === 'input')) {
      ctx.addIssue({ code: 'custom', message: 'must provide submit when the view contains input blocks', path: ['submit'] });
    }
  });

// ---------------------------------------------------------------------------------------------
// Validation with Slack-style messages

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

/** Validates message blocks (default) or modal blocks; errors point into `/blocks/...`. */
export function validateBlocks(blocks: unknown, surface: Surface = 'message'): ValidationResult {
  return toResult(blocksSchema(surface).safeParse(blocks, { reportInput: true }), '/blocks');
}

/** Validates a modal view; errors point into `/view/...`. */
export function validateView(view: unknown): ValidationResult {
  return toResult(viewSchema.safeParse(view, { reportInput: true }), '/view');
}

function toResult(result: { success: true } | { success: false; error: z.ZodError }, root: string): ValidationResult {
  if (result.success) return { ok: true };
  const errors = result.error.issues.flatMap((issue) => describeIssue(issue, root));
  return { ok: false, errors: [...new Set(errors)] };
}

function pointer(root: string, path: readonly PropertyKey[]): string {
  const parts = path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1'));
  return [root, ...parts].join('/');
}

function slackError(message: string, root: string, path: readonly PropertyKey[]): string {
  return `[ERROR] ${message} [json-pointer:${pointer(root, path)}]`;
}

function describeIssue(issue: z.core.$ZodIssue, root: string): string[] {
  const at = (message: string, path: readonly PropertyKey[] = issue.path) => slackError(message, root, path);
  switch (issue.code) {
    case 'too_big': {
      const limit = Number(issue.maximum) + (issue.inclusive === false ? 0 : 1);
      if (issue.origin === 'array') return [at(`no more than ${limit - 1} items allowed`)];
      return [at(`must be less than ${limit} characters`)];
    }
    case 'too_small': {
      const floor = Number(issue.minimum) - (issue.inclusive === false ? 0 : 1);
      if (issue.origin === 'array') return [at(`must have at least ${floor + 1} item${floor === 0 ? '' : 's'}`)];
      return [at(`must be more than ${floor} characters`)];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => at(`unsupported property: ${key}`, [...issue.path, key]));
    case 'invalid_union': {
      if (issue.discriminator !== undefined) {
        const input: unknown = issue.input;
        const value = isRecord(input) ? input[issue.discriminator] : input;
        return [at(value === undefined ? `missing required field: ${issue.discriminator}` : `unsupported ${issue.discriminator}: ${JSON.stringify(value)}`)];
      }
      return [at('failed to match all allowed schemas')];
    }
    case 'invalid_value':
      return [at(`must be one of: ${issue.values.map(String).join(', ')}`)];
    case 'invalid_type':
      if (issue.input === undefined) return [at(`missing required field: ${String(issue.path[issue.path.length - 1] ?? '')}`)];
      return [at(`expected ${issue.expected}, got ${describeType(issue.input)}`)];
    default:
      return [at(issue.message)];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

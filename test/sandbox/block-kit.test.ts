import { describe, expect, it } from 'vitest';
import { BLOCK_KIT_LIMITS, validateBlocks, validateView } from '../../src/sandbox/block-kit.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });
const button = (action_id: string, extra: Record<string, unknown> = {}) => ({ type: 'button', action_id, text: plain('Go'), ...extra });

function errorsOf(blocks: unknown): string[] {
  const result = validateBlocks(blocks);
  return result.ok ? [] : result.errors;
}

describe('validateBlocks', () => {
  it('accepts a proposal-shaped message', () => {
    const blocks = [
      { type: 'header', text: { ...plain('Rollback proposal: checkout'), emoji: true } },
      { type: 'section', fields: [md('*Service*\ncheckout'), md('*Version*\n`v2` → `v1`')] },
      { type: 'section', text: md('*SLIs*\n```p99 ok```'), accessory: button('details', { url: 'https://example.com/runbook' }) },
      { type: 'context', elements: [md('📖 <https://example.com|Runbook>'), { type: 'image', image_url: 'https://example.com/i.png', alt_text: 'icon' }] },
      { type: 'divider' },
      { type: 'actions', block_id: 'decision', elements: [button('approve', { style: 'primary', value: 'p1' }), button('reject', { style: 'danger', value: 'p1' })] },
      { type: 'image', image_url: 'https://example.com/graph.png', alt_text: 'error rate', title: plain('Error rate') },
      { type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'hi' }] }] },
    ];
    expect(validateBlocks(blocks)).toEqual({ ok: true });
  });

  it('refuses a header of 151 characters with a Slack-style pointer, accepts 150', () => {
    expect(errorsOf([{ type: 'header', text: plain('x'.repeat(151)) }])).toEqual([
      '[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect(validateBlocks([{ type: 'header', text: plain('x'.repeat(150)) }]).ok).toBe(true);
  });

  it('refuses a markdown header: headers take plain_text only', () => {
    expect(errorsOf([{ type: 'header', text: md('*bold*') }])).toEqual(['[ERROR] must be one of: plain_text [json-pointer:/blocks/0/text/type]']);
  });

  it('refuses 51 blocks and accepts 50', () => {
    const divider = { type: 'divider' };
    expect(errorsOf(Array.from({ length: 51 }, () => divider))).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
    expect(validateBlocks(Array.from({ length: 50 }, () => divider)).ok).toBe(true);
  });

  it('allows 100 blocks in a modal', () => {
    expect(validateBlocks(Array.from({ length: 100 }, () => ({ type: 'divider' })), 'modal').ok).toBe(true);
  });

  it('enforces section text between 1 and 3000 characters', () => {
    expect(errorsOf([{ type: 'section', text: md('x'.repeat(3001)) }])).toEqual(['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    expect(errorsOf([{ type: 'section', text: md('') }])).toEqual(['[ERROR] must be more than 0 characters [json-pointer:/blocks/0/text/text]']);
    expect(validateBlocks([{ type: 'section', text: md('x'.repeat(3000)) }]).ok).toBe(true);
  });

  it('requires text or fields in a section', () => {
    expect(errorsOf([{ type: 'section' }])).toEqual(['[ERROR] must provide either text or fields [json-pointer:/blocks/0/text]']);
  });

  it('limits fields to 10 of at most 2000 characters', () => {
    expect(errorsOf([{ type: 'section', fields: Array.from({ length: 11 }, () => md('f')) }])).toEqual([
      '[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/fields]',
    ]);
    expect(errorsOf([{ type: 'section', fields: [md('ok'), md('x'.repeat(2001))] }])).toEqual([
      '[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]',
    ]);
  });

  it('enforces button limits: text 75, value 2000, url 3000, action_id 255, style primary|danger', () => {
    const actions = (el: unknown) => [{ type: 'actions', elements: [el] }];
    expect(errorsOf(actions(button('a', { text: plain('x'.repeat(76)) })))).toEqual([
      '[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ]);
    expect(errorsOf(actions(button('a', { value: 'v'.repeat(2001) })))).toEqual([
      '[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
    expect(errorsOf(actions(button('a', { url: `https://example.com/${'u'.repeat(3000)}` })))).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]',
    ]);
    expect(errorsOf(actions(button('a'.repeat(256))))).toEqual(['[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]']);
    expect(errorsOf(actions(button('a', { style: 'default' })))).toEqual(['[ERROR] must be one of: primary, danger [json-pointer:/blocks/0/elements/0/style]']);
    expect(errorsOf(actions(button('a', { text: md('*no*') })))).toEqual(['[ERROR] must be one of: plain_text [json-pointer:/blocks/0/elements/0/text/type]']);
  });

  it('limits block_id to 255 characters', () => {
    expect(errorsOf([{ type: 'divider', block_id: 'b'.repeat(256) }])).toEqual(['[ERROR] must be less than 256 characters [json-pointer:/blocks/0/block_id]']);
  });

  it('limits actions to 25 elements and context to 10', () => {
    expect(errorsOf([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) }])).toEqual([
      '[ERROR] no more than 25 items allowed [json-pointer:/blocks/0/elements]',
    ]);
    expect(errorsOf([{ type: 'context', elements: Array.from({ length: 11 }, () => md('c')) }])).toEqual([
      '[ERROR] no more than 10 items allowed [json-pointer:/blocks/0/elements]',
    ]);
  });

  it('refuses duplicate action_ids within an actions block and duplicate block_ids', () => {
    expect(errorsOf([{ type: 'actions', elements: [button('same'), button('same')] }])).toEqual([
      '[ERROR] duplicate action_id: same [json-pointer:/blocks/0/elements/1/action_id]',
    ]);
    expect(errorsOf([{ type: 'divider', block_id: 'x' }, { type: 'divider', block_id: 'x' }])).toEqual([
      '[ERROR] duplicate block_id: x [json-pointer:/blocks/1/block_id]',
    ]);
  });

  it('refuses unknown block types and unknown properties', () => {
    expect(errorsOf([{ type: 'carousel' }])).toEqual(['[ERROR] unsupported type: "carousel" [json-pointer:/blocks/0/type]']);
    expect(errorsOf([{ type: 'divider', colour: 'red' }])).toEqual(['[ERROR] unsupported property: colour [json-pointer:/blocks/0/colour]']);
  });

  it('refuses something that is not an array', () => {
    expect(errorsOf({ type: 'divider' })).toEqual(['[ERROR] expected array, got object [json-pointer:/blocks]']);
  });

  it('exposes the limits it enforces', () => {
    expect(BLOCK_KIT_LIMITS).toMatchObject({ messageBlocks: 50, headerText: 150, buttonText: 75, messageText: 40_000 });
  });
});

describe('validateView', () => {
  const modal = {
    type: 'modal',
    callback_id: 'reject_view',
    title: plain('Reject rollback'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    private_metadata: 'p1',
    blocks: [{ type: 'input', block_id: 'reason', label: plain('Why?'), element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true } }],
  };

  it('accepts a modal with an input block', () => {
    expect(validateView(modal)).toEqual({ ok: true });
  });

  it('points errors into /view and requires submit with inputs', () => {
    const { submit: _submit, ...withoutSubmit } = modal;
    const result = validateView({ ...withoutSubmit, title: plain('A title that is far too long') });
    expect(result).toEqual({
      ok: false,
      errors: [
        '[ERROR] must be less than 25 characters [json-pointer:/view/title/text]',
        '[ERROR] must provide submit when the view contains input blocks [json-pointer:/view/submit]',
      ],
    });
  });

  it('limits private_metadata to 3000 characters', () => {
    expect(validateView({ ...modal, private_metadata: 'm'.repeat(3001) })).toEqual({
      ok: false,
      errors: ['[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]'],
    });
  });
});

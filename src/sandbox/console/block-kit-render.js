/**
 * Block Kit and mrkdwn rendering for the sandbox console.
 *
 * Pure: nothing here touches a DOM global. Every function builds its output through an injected
 * element factory `h(tag, attrs, children)`:
 *  - `domH(document)` builds real elements with createElement / createTextNode (the page uses it,
 *    so message text never goes through an HTML parser);
 *  - `htmlH` builds an HTML string in which every text and attribute value is escaped (tests use it).
 *
 * Message text is attacker-controlled. Children that are strings are always text, URLs pass
 * `safeUrl`, and malformed blocks degrade to a visible "unsupported" note instead of throwing.
 */

import { htmlH, toHtml } from './element-factory.js';
import { renderFiles } from './files-render.js';
import { formatSlackDate, fullLocalTime, parseDateCommand } from './slack-date.js';

export { domH, escapeHtml, htmlH, toHtml } from './element-factory.js';

// ---------------------------------------------------------------------------------------------
// Small helpers

/** http(s) and mailto URLs only; anything else (javascript:, data:, relative) is refused. */
export function safeUrl(value) {
  if (typeof value !== 'string') return null;
  const url = value.trim();
  if (!/^(https?:\/\/|mailto:)/i.test(url)) return null;
  if (/[\s<>"'`]/.test(url)) return null;
  return url;
}

/** Slack escapes only these three in message text. */
function decodeEntities(s) {
  return s.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', fire: '🔥', rotating_light: '🚨',
  no_entry: '⛔', no_entry_sign: '🚫', hourglass: '⌛', hourglass_flowing_sand: '⏳', rewind: '⏪', tada: '🎉',
  book: '📖', memo: '📝', eyes: '👀', thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', question: '❓',
  grey_question: '❔', large_green_circle: '🟢', red_circle: '🔴', large_yellow_circle: '🟡', arrow_right: '➡️',
  chart_with_downwards_trend: '📉', chart_with_upwards_trend: '📈', robot_face: '🤖', pager: '📟', sos: '🆘',
};

function emojify(s) {
  return s.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] ?? all);
}

function str(value) {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a plain_text object (or a bare string), emoji shortcodes replaced. */
function plainString(obj) {
  if (typeof obj === 'string') return obj;
  if (!isObject(obj)) return '';
  return emojify(str(obj.text));
}

function lookup(table, id) {
  if (!table) return undefined;
  if (table instanceof Map) return table.get(id);
  return Object.prototype.hasOwnProperty.call(table, id) ? table[id] : undefined;
}

// ---------------------------------------------------------------------------------------------
// mrkdwn

// Private-use characters mark where a token (code span, <…> reference) was lifted out of the text.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER = /\uE000(\d+)\uE001/g;
const EMPHASIS = /(?<![\p{L}\p{N}])([*_~])(?!\s)([^\n]*?\S)\1(?![\p{L}\p{N}])/u;
const EMPHASIS_TAG = { '*': 'b', _: 'i', '~': 's' };

function renderAngle(h, raw, ctx) {
  const bar = raw.indexOf('|');
  const target = bar >= 0 ? raw.slice(0, bar) : raw;
  const label = bar >= 0 ? decodeEntities(raw.slice(bar + 1)) : undefined;
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = lookup(ctx.users, id) ?? (label ? label.replace(/^@/, '') : id);
    return h('span', { class: 'mk-mention', 'data-user-id': id }, [`@${name}`]);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = lookup(ctx.channels, id) ?? (label ? label.replace(/^#/, '') : id);
    return h('span', { class: 'mk-channel', 'data-channel-id': id }, [`#${name}`]);
  }
  if (target.startsWith('!')) {
    const command = target.slice(1);
    if (command.startsWith('subteam^')) {
      const id = command.slice('subteam^'.length);
      const handle = lookup(ctx.groups, id) ?? (label ? label.replace(/^@/, '') : id);
      return h('span', { class: 'mk-mention mk-group', 'data-group-id': id }, [`@${handle}`]);
    }
    const date = parseDateCommand(decodeEntities(command));
    if (date) return renderDate(h, date, label, ctx);
    if (command === 'here' || command === 'channel' || command === 'everyone') {
      return h('span', { class: 'mk-mention mk-broadcast' }, [`@${command}`]);
    }
    return label ?? `<${decodeEntities(raw)}>`;
  }
  const href = decodeEntities(target);
  const url = safeUrl(href);
  if (url) return h('a', { class: 'mk-link', href: url, target: '_blank', rel: 'noopener noreferrer' }, [label ?? href]);
  // Not a link we can follow: show the label, or the text as the sender wrote it.
  return label ?? `<${href}>`;
}

/**
 * A date token in the reader's local time (`ctx.timeZone` / `ctx.now` for tests), linked when it
 * carries a link; its fallback only when the time cannot be read.
 */
function renderDate(h, date, label, ctx) {
  const opts = { timeZone: ctx.timeZone, now: ctx.now };
  const text = formatSlackDate(date.seconds, date.format, opts);
  if (text === null) return h('span', { class: 'mk-date' }, [label ?? `<!date^${date.seconds}^${date.format}>`]);
  const title = `${fullLocalTime(date.seconds, opts)} · ${new Date(date.seconds * 1000).toISOString()}`;
  const attrs = { class: 'mk-date', title, 'data-testid': 'date', 'data-unix': String(date.seconds) };
  const url = date.link ? safeUrl(date.link) : null;
  if (url) return h('a', { ...attrs, class: 'mk-date mk-link', href: url, target: '_blank', rel: 'noopener noreferrer' }, [text]);
  return h('span', attrs, [text]);
}

function renderToken(h, token, ctx) {
  if (token.code !== undefined) return h('code', { class: 'mk-code' }, [decodeEntities(token.code)]);
  return renderAngle(h, token.angle, ctx);
}

/** Plain text with token markers expanded. */
function expandMarkers(h, s, tokens, ctx) {
  const out = [];
  let last = 0;
  for (const m of s.matchAll(MARKER)) {
    if (m.index > last) out.push(emojify(decodeEntities(s.slice(last, m.index))));
    out.push(renderToken(h, tokens[Number(m[1])], ctx));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(emojify(decodeEntities(s.slice(last))));
  return out;
}

function emphasis(h, s, tokens, ctx) {
  const out = [];
  let rest = s;
  for (;;) {
    const m = EMPHASIS.exec(rest);
    if (!m) break;
    if (m.index > 0) out.push(...expandMarkers(h, rest.slice(0, m.index), tokens, ctx));
    out.push(h(EMPHASIS_TAG[m[1]], { class: `mk-${EMPHASIS_TAG[m[1]]}` }, emphasis(h, m[2], tokens, ctx)));
    rest = rest.slice(m.index + m[0].length);
  }
  if (rest) out.push(...expandMarkers(h, rest, tokens, ctx));
  return out;
}

function inline(h, text, ctx) {
  const tokens = [];
  const marked = text.replace(/`([^`\n]+)`|<([^<>\n]+)>/g, (_all, code, angle) => {
    tokens.push(code !== undefined ? { code } : { angle });
    return `${OPEN}${tokens.length - 1}${CLOSE}`;
  });
  return emphasis(h, marked, tokens, ctx);
}

/** Children for a mrkdwn string: inline formatting plus ```preformatted``` blocks. */
function mrkdwnChildren(h, text, ctx) {
  const source = str(text).replace(/[\uE000\uE001]/g, '');
  const out = [];
  const fence = /```([\s\S]*?)```/g;
  let last = 0;
  for (const m of source.matchAll(fence)) {
    const before = source.slice(last, m.index).replace(/\n$/, '');
    if (before) out.push(...inline(h, before, ctx));
    let code = m[1];
    if (code.startsWith('\n')) code = code.slice(1);
    if (code.endsWith('\n')) code = code.slice(0, -1);
    out.push(h('pre', { class: 'mk-pre' }, [decodeEntities(code)]));
    last = m.index + m[0].length;
    if (source[last] === '\n') last += 1;
  }
  if (last < source.length) out.push(...inline(h, source.slice(last), ctx));
  return out;
}

/** A mrkdwn string as one element (newlines kept by CSS `white-space: pre-wrap`). */
export function renderMrkdwn(h, text, ctx = {}) {
  return h('div', { class: 'mk' }, mrkdwnChildren(h, text, ctx));
}

/** A text object: mrkdwn formatted, plain_text as text. */
function renderText(h, obj, ctx, cls = '') {
  if (isObject(obj) && obj.type === 'mrkdwn') return h('div', { class: `mk ${cls}`.trim() }, mrkdwnChildren(h, obj.text, ctx));
  return h('div', { class: `plain ${cls}`.trim() }, [plainString(obj)]);
}

// ---------------------------------------------------------------------------------------------
// Block elements

function unsupported(h, what) {
  return h('span', { class: 'bk-unsupported' }, [`[${what} is not shown in the sandbox]`]);
}

function renderButton(h, el, blockId, ctx) {
  const style = el.style === 'primary' ? 'primary' : el.style === 'danger' ? 'danger' : 'default';
  const confirm = isObject(el.confirm) ? el.confirm : null;
  const attrs = {
    class: `bk-btn bk-btn-${style}`,
    'data-action-id': str(el.action_id) || undefined,
    'data-block-id': blockId || undefined,
    'data-style': style,
    'data-value': typeof el.value === 'string' ? el.value : undefined,
    'data-confirm-title': confirm ? plainString(confirm.title) || 'Are you sure?' : undefined,
    'data-confirm-text': confirm ? plainString(confirm.text) : undefined,
    'data-confirm-ok': confirm ? plainString(confirm.confirm) || 'Yes' : undefined,
    'data-confirm-deny': confirm ? plainString(confirm.deny) || 'Cancel' : undefined,
  };
  const label = plainString(el.text) || 'Button';
  const url = el.url === undefined ? null : safeUrl(el.url);
  if (url) return h('a', { ...attrs, href: url, target: '_blank', rel: 'noopener noreferrer', 'data-url': 'true' }, [label]);
  return h('button', { ...attrs, type: 'button', disabled: ctx.readOnly === true }, [label]);
}

function renderImage(h, el, cls) {
  const src = safeUrl(el.image_url);
  const alt = str(el.alt_text);
  if (!src) return h('span', { class: `${cls} bk-image-missing` }, [alt ? `[image: ${alt}]` : '[image]']);
  return h('img', { class: cls, src, alt, title: alt || undefined, loading: 'lazy', referrerpolicy: 'no-referrer' }, []);
}

function renderElement(h, el, blockId, ctx, cls) {
  if (!isObject(el)) return unsupported(h, 'element');
  if (el.type === 'button') return renderButton(h, el, blockId, ctx);
  if (el.type === 'image') return renderImage(h, el, cls);
  return unsupported(h, `${str(el.type) || 'element'} element`);
}

function renderInput(h, block, ctx) {
  const blockId = str(block.block_id);
  const el = isObject(block.element) ? block.element : {};
  const actionId = str(el.action_id);
  const error = lookup(ctx.errors, blockId);
  const label = h('label', { class: 'bk-input-label' }, [plainString(block.label), block.optional ? h('span', { class: 'bk-optional' }, [' (optional)']) : null]);
  let control;
  if (el.type === 'plain_text_input') {
    const given = lookup(lookup(ctx.values, blockId), actionId);
    control = h('textarea', {
      class: 'bk-textarea',
      rows: el.multiline ? 4 : 1,
      'data-block-id': blockId,
      'data-action-id': actionId,
      placeholder: plainString(el.placeholder) || undefined,
      maxlength: Number.isInteger(el.max_length) ? el.max_length : undefined,
      'aria-invalid': error ? 'true' : undefined,
    }, [typeof given === 'string' ? given : str(el.initial_value)]);
  } else {
    control = unsupported(h, `${str(el.type) || 'unknown'} input`);
  }
  return h('div', { class: 'bk-block bk-input', 'data-block-id': blockId }, [
    label,
    control,
    block.hint ? h('div', { class: 'bk-hint' }, [plainString(block.hint)]) : null,
    error ? h('div', { class: 'bk-input-error', 'data-testid': 'modal-error', role: 'alert' }, [str(error)]) : null,
  ]);
}

// rich_text, as far as a sandbox needs it
function renderRichInline(h, el, ctx) {
  if (!isObject(el)) return '';
  switch (el.type) {
    case 'text': {
      const style = isObject(el.style) ? el.style : {};
      let node = str(el.text);
      if (style.code) node = h('code', { class: 'mk-code' }, [node]);
      if (style.bold) node = h('b', { class: 'mk-b' }, [node]);
      if (style.italic) node = h('i', { class: 'mk-i' }, [node]);
      if (style.strike) node = h('s', { class: 'mk-s' }, [node]);
      return node;
    }
    case 'link': {
      const url = safeUrl(el.url);
      const text = str(el.text) || str(el.url);
      return url ? h('a', { class: 'mk-link', href: url, target: '_blank', rel: 'noopener noreferrer' }, [text]) : text;
    }
    case 'user': return renderAngle(h, `@${str(el.user_id)}`, ctx);
    case 'channel': return renderAngle(h, `#${str(el.channel_id)}`, ctx);
    case 'usergroup': return renderAngle(h, `!subteam^${str(el.usergroup_id)}`, ctx);
    case 'broadcast': return renderAngle(h, `!${str(el.range)}`, ctx);
    case 'emoji': return el.unicode ? String.fromCodePoint(...str(el.unicode).split('-').map((c) => parseInt(c, 16)).filter(Number.isFinite)) : emojify(`:${str(el.name)}:`);
    case 'date': return renderDate(h, { seconds: Number(el.timestamp), format: str(el.format) || '{date_short_pretty} at {time}', link: el.url ?? null }, str(el.fallback) || undefined, ctx);
    default: return '';
  }
}

function renderRichElement(h, el, ctx) {
  if (!isObject(el)) return null;
  const inlineChildren = (Array.isArray(el.elements) ? el.elements : []).map((c) => renderRichInline(h, c, ctx));
  switch (el.type) {
    case 'rich_text_section': return h('div', { class: 'mk' }, inlineChildren);
    case 'rich_text_preformatted': return h('pre', { class: 'mk-pre' }, inlineChildren);
    case 'rich_text_quote': return h('blockquote', { class: 'mk mk-quote' }, inlineChildren);
    case 'rich_text_list': {
      const items = (Array.isArray(el.elements) ? el.elements : []).map((item) => h('li', {}, [renderRichElement(h, item, ctx)]));
      return h(el.style === 'ordered' ? 'ol' : 'ul', { class: 'mk-list' }, items);
    }
    default: return unsupported(h, `${str(el.type)} rich text`);
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks

function renderBlock(h, block, ctx) {
  if (!isObject(block)) return unsupported(h, 'block');
  const blockId = str(block.block_id);
  const wrap = (type, children) => h('div', { class: `bk-block bk-${type}`, 'data-block-id': blockId || undefined }, children);
  switch (block.type) {
    case 'header':
      return wrap('header', [h('div', { class: 'bk-header-text' }, [plainString(block.text)])]);
    case 'section': {
      const fields = Array.isArray(block.fields) ? block.fields : [];
      const body = [
        block.text ? renderText(h, block.text, ctx, 'bk-section-text') : null,
        fields.length ? h('div', { class: 'bk-fields' }, fields.map((f) => renderText(h, f, ctx, 'bk-field'))) : null,
      ];
      const accessory = isObject(block.accessory) ? h('div', { class: 'bk-accessory' }, [renderElement(h, block.accessory, blockId, ctx, 'bk-accessory-image')]) : null;
      return wrap('section', [h('div', { class: 'bk-section-body' }, body), accessory]);
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return wrap('context', elements.map((el) => {
        if (isObject(el) && el.type === 'image') return renderImage(h, el, 'bk-context-image');
        return renderText(h, el, ctx, 'bk-context-text');
      }));
    }
    case 'divider':
      return wrap('divider', [h('hr', { class: 'bk-hr' }, [])]);
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return wrap('actions', elements.map((el) => renderElement(h, el, blockId, ctx, 'bk-action-image')));
    }
    case 'image':
      return wrap('image', [
        block.title ? h('div', { class: 'bk-image-title' }, [plainString(block.title)]) : null,
        renderImage(h, block, 'bk-image'),
      ]);
    case 'input':
      return renderInput(h, block, ctx);
    case 'rich_text':
      return wrap('rich-text', (Array.isArray(block.elements) ? block.elements : []).map((el) => renderRichElement(h, el, ctx)));
    default:
      return wrap('unknown', [unsupported(h, `${str(block.type) || 'unknown'} block`)]);
  }
}

/**
 * Blocks as one element. `ctx`: `users`, `channels`, `groups` (id → display name, plain objects
 * or Maps), and for modals `values` / `errors` keyed by block id; `readOnly` disables buttons;
 * `timeZone` / `now` fix how date tokens read (default: the browser's zone and clock);
 * `fileUrl(file)` is where an uploaded file's bytes are fetched (files-render.js).
 */
export function renderBlocks(h, blocks, ctx = {}) {
  const list = Array.isArray(blocks) ? blocks : [];
  return h('div', { class: 'bk-blocks' }, list.map((block) => {
    try {
      return renderBlock(h, block, ctx);
    } catch {
      return unsupported(h, 'malformed block');
    }
  }));
}

/** A message's content: its blocks, else its text as mrkdwn (Slack's own fallback rule). */
export function renderMessageBody(h, message, ctx = {}) {
  const blocks = isObject(message) && Array.isArray(message.blocks) && message.blocks.length > 0 ? message.blocks : null;
  const attachments = isObject(message) && Array.isArray(message.attachments) ? message.attachments.filter(isObject) : [];
  return h('div', { class: 'msg-body', 'data-testid': 'message-text' }, [
    blocks ? renderBlocks(h, blocks, ctx) : renderMrkdwn(h, isObject(message) ? message.text : '', ctx),
    renderFiles(h, isObject(message) ? message.files : undefined, ctx),
    attachments.map((a) => h('div', { class: 'msg-attachment' }, [
      Array.isArray(a.blocks) && a.blocks.length ? renderBlocks(h, a.blocks, ctx) : renderMrkdwn(h, str(a.text ?? a.fallback), ctx),
    ])),
  ]);
}

/** Convenience for tests and server-side previews: HTML strings with everything escaped. */
export function blocksToHtml(blocks, ctx = {}) {
  return toHtml(renderBlocks(htmlH, blocks, ctx));
}

export function mrkdwnToHtml(text, ctx = {}) {
  return toHtml(renderMrkdwn(htmlH, text, ctx));
}

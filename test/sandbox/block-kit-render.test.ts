import { beforeAll, describe, expect, it } from 'vitest';

/** The console's renderer is plain browser JavaScript (no build step), so it is typed here. */
type Ctx = {
  users?: Record<string, string>;
  channels?: Record<string, string>;
  groups?: Record<string, string>;
  values?: Record<string, Record<string, string>>;
  errors?: Record<string, string>;
  readOnly?: boolean;
  timeZone?: string;
  now?: number;
};
type Node = { html: string };
type H = (tag: string, attrs: Record<string, unknown> | null, children: unknown) => Node;
interface Renderer {
  escapeHtml(s: string): string;
  safeUrl(s: unknown): string | null;
  htmlH: H;
  toHtml(node: Node): string;
  renderMessageBody(h: H, message: unknown, ctx?: Ctx): Node;
  blocksToHtml(blocks: unknown, ctx?: Ctx): string;
  mrkdwnToHtml(text: string, ctx?: Ctx): string;
}

let r: Renderer;
beforeAll(async () => {
  // A computed specifier: TypeScript does not type-check this plain JS module, the interface above does.
  const url = new URL('../../src/sandbox/console/block-kit-render.js', import.meta.url).href;
  r = (await import(/* @vite-ignore */ url)) as Renderer;
});

const ctx: Ctx = {
  users: { U0ALICE: 'alice', U0BOB: 'bob' },
  channels: { C0SANDBOX: 'inc-fraud-scorer' },
  groups: { S0ONCALL: 'sre-oncall' },
};
const md = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const button = (action_id: string, extra: Record<string, unknown> = {}) => ({ type: 'button', action_id, text: plain('Go'), ...extra });

describe('mrkdwn rendering', () => {
  it('escapes a <script> tag in message text instead of emitting it', () => {
    const html = r.mrkdwnToHtml('hi <script>alert(1)</script> & "quotes" \'too\'', ctx);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&amp; &quot;quotes&quot; &#39;too&#39;');
  });

  it('escapes markup hidden in link labels, mentions, code and blocks', () => {
    const html = r.blocksToHtml([
      { type: 'header', text: plain('<img src=x onerror=alert(1)>') },
      { type: 'section', text: md('<https://example.com|<b>label</b>> `<i>code</i>` <@U9|<svg onload=x>>'), fields: [md('*<u>f</u>*')] },
      { type: 'actions', block_id: '"><script>', elements: [button('a"b', { text: plain('<b>x</b>') })] },
    ], ctx);
    expect(html).not.toMatch(/<(img|i|u|svg|script)[\s>]/);
    expect(html).not.toContain('<b>');
    expect(html).toContain('<b class="mk-b">&lt;u&gt;f&lt;/u&gt;</b>');
    expect(html).toContain('data-block-id="&quot;&gt;&lt;script&gt;"');
    expect(html).toContain('data-action-id="a&quot;b"');
  });

  it('decodes Slack’s own entities once and re-escapes them for the page', () => {
    expect(r.mrkdwnToHtml('a &lt;b&gt; &amp;amp;')).toBe('<div class="mk">a &lt;b&gt; &amp;amp;</div>');
  });

  it('renders <url|label> and <url> as links that open in a new tab', () => {
    const html = r.mrkdwnToHtml('📖 <https://runbooks.example.com/fraud?a=1&amp;b=2|Runbook> and <https://example.com>');
    expect(html).toContain('<a class="mk-link" href="https://runbooks.example.com/fraud?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Runbook</a>');
    expect(html).toContain('href="https://example.com" target="_blank" rel="noopener noreferrer">https://example.com</a>');
  });

  it('refuses javascript: and data: links, keeping only their label', () => {
    const html = r.mrkdwnToHtml('<javascript:alert(1)|click me> <data:text/html,x|data>');
    expect(html).not.toContain('href');
    expect(html).toContain('click me');
    expect(r.safeUrl('JavaScript:alert(1)')).toBeNull();
    expect(r.safeUrl('https://ok.example/x')).toBe('https://ok.example/x');
  });

  it('shows user, channel and group mentions by name, and a date in the reader\'s time zone', () => {
    const html = r.mrkdwnToHtml('<@U0ALICE> in <#C0SANDBOX>, ask <!subteam^S0ONCALL> or <@U0NOBODY>; expires <!date^1700000000^{time}|2023-11-14T22:13:20Z>', { ...ctx, timeZone: 'UTC' });
    expect(html).toContain('>@alice</span>');
    expect(html).toContain('>#inc-fraud-scorer</span>');
    expect(html).toContain('>@sre-oncall</span>');
    expect(html).toContain('>@U0NOBODY</span>');
    expect(html).toContain('>10:13 PM</span>');
    expect(html).not.toContain('{time}');
  });

  it('formats bold, italic, strike and inline code, leaving snake_case and lone stars alone', () => {
    const html = r.mrkdwnToHtml('*bold* _it_ ~gone~ `a*b*c` backstop_approve_button 2 * 3 * 4 *bold _both_*');
    expect(html).toContain('<b class="mk-b">bold</b>');
    expect(html).toContain('<i class="mk-i">it</i>');
    expect(html).toContain('<s class="mk-s">gone</s>');
    expect(html).toContain('<code class="mk-code">a*b*c</code>');
    expect(html).toContain('backstop_approve_button 2 * 3 * 4');
    expect(html).toContain('<b class="mk-b">bold <i class="mk-i">both</i></b>');
  });

  it('keeps a ```preformatted``` SLI table verbatim: spaces, newlines, no formatting inside', () => {
    const table = 'SLI       baseline  now    breach if  verdict\naccuracy  0.93      0.71   < 0.85     ❌ breach\np99_ms    120 ms    *410*  > 300      ❌ breach';
    const html = r.mrkdwnToHtml(`*SLIs before rollback*\n\`\`\`${table}\`\`\``);
    expect(html).toBe(`<div class="mk"><b class="mk-b">SLIs before rollback</b><pre class="mk-pre">${r.escapeHtml(table)}</pre></div>`);
    expect(html).toContain('p99_ms    120 ms    *410*  &gt; 300');
  });
});

describe('Block Kit rendering', () => {
  it('gives buttons their action and block ids and maps styles to green, red and grey', () => {
    const html = r.blocksToHtml([{
      type: 'actions', block_id: 'backstop_decision',
      elements: [button('backstop_approve', { style: 'primary', value: 'p1' }), button('backstop_reject', { style: 'danger' }), button('later')],
    }]);
    expect(html).toContain('<button class="bk-btn bk-btn-primary" data-action-id="backstop_approve" data-block-id="backstop_decision" data-style="primary" data-value="p1" type="button">Go</button>');
    expect(html).toContain('class="bk-btn bk-btn-danger" data-action-id="backstop_reject"');
    expect(html).toContain('class="bk-btn bk-btn-default" data-action-id="later"');
  });

  it('renders a url button as a link, and drops an unsafe url', () => {
    const html = r.blocksToHtml([{ type: 'actions', elements: [button('runbook', { url: 'https://example.com/rb' }), button('evil', { url: 'javascript:alert(1)' })] }]);
    expect(html).toContain('<a class="bk-btn bk-btn-default" data-action-id="runbook" data-style="default" href="https://example.com/rb" target="_blank"');
    expect(html).toContain('<button class="bk-btn bk-btn-default" data-action-id="evil"');
    expect(html).not.toContain('javascript:');
  });

  it('lays out section fields as a grid of formatted cells', () => {
    const html = r.blocksToHtml([{ type: 'section', fields: [md('*Service*\nfraud-scorer'), md('*Approvals*\n1/2: <@U0ALICE>')] }], ctx);
    expect(html).toContain('<div class="bk-fields"><div class="mk bk-field"><b class="mk-b">Service</b>\nfraud-scorer</div><div class="mk bk-field"><b class="mk-b">Approvals</b>\n1/2: <span');
    expect(html).toContain('@alice');
  });

  it('renders header, context, divider, image and a section accessory', () => {
    const html = r.blocksToHtml([
      { type: 'header', text: plain('Rollback proposal: fraud-scorer') },
      { type: 'section', text: md('hi'), accessory: button('more') },
      { type: 'context', elements: [md('Proposal `p1`'), plain('plain *not bold*'), { type: 'image', image_url: 'https://example.com/i.png', alt_text: 'icon' }] },
      { type: 'divider' },
      { type: 'image', image_url: 'https://example.com/graph.png', alt_text: 'error rate', title: plain('Error rate') },
      { type: 'video' },
    ]);
    expect(html).toContain('<div class="bk-header-text">Rollback proposal: fraud-scorer</div>');
    expect(html).toContain('<div class="bk-accessory"><button class="bk-btn bk-btn-default" data-action-id="more"');
    expect(html).toContain('<code class="mk-code">p1</code>');
    expect(html).toContain('<div class="plain bk-context-text">plain *not bold*</div>');
    expect(html).toContain('<img class="bk-context-image" src="https://example.com/i.png" alt="icon"');
    expect(html).toContain('<hr class="bk-hr">');
    expect(html).toContain('<div class="bk-image-title">Error rate</div>');
    expect(html).toContain('[video block is not shown in the sandbox]');
  });

  it('renders modal inputs as textareas carrying typed values and the error for their block', () => {
    const blocks = [{
      type: 'input', block_id: 'reason', label: plain('Reason'),
      element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true, max_length: 500 },
    }];
    const html = r.blocksToHtml(blocks, { values: { reason: { reason_input: '<b>typed</b>' } }, errors: { reason: 'Say why.' } });
    expect(html).toContain('<textarea class="bk-textarea" rows="4" data-block-id="reason" data-action-id="reason_input" maxlength="500" aria-invalid="true">&lt;b&gt;typed&lt;/b&gt;</textarea>');
    expect(html).toContain('<div class="bk-input-error" data-testid="modal-error" role="alert">Say why.</div>');
  });

  it('falls back to the message text when there are no blocks, and survives malformed blocks', () => {
    const fallback = r.toHtml(r.renderMessageBody(r.htmlH, { text: '✅ Approved by <@U0BOB>', blocks: [] }, ctx));
    expect(fallback).toBe('<div class="msg-body" data-testid="message-text"><div class="mk">✅ Approved by <span class="mk-mention" data-user-id="U0BOB">@bob</span></div></div>');
    const odd = r.blocksToHtml([null, 'text', { type: 'section', fields: 'nope', text: 7 }, { type: 'actions', elements: [null] }]);
    expect(odd).toContain('[block is not shown in the sandbox]');
    expect(odd).toContain('[element is not shown in the sandbox]');
  });

  it('refuses tag and attribute names that are not plain identifiers', () => {
    expect(() => r.htmlH('img src=x', null, [])).toThrow(/invalid tag/);
    expect(() => r.htmlH('div', { 'onclick=alert(1) x': '1' }, [])).toThrow(/invalid attribute/);
  });
});

/**
 * The console's date tokens and shared files, rendered through the same pure renderer the page
 * uses (with the escaping string factory): local time in the reader's zone, images inline,
 * other files as a download with name and size.
 */
import { beforeAll, describe, expect, it } from 'vitest';

type Node = { html: string };
type H = (tag: string, attrs: Record<string, unknown> | null, children: unknown) => Node;
type Ctx = { timeZone?: string; now?: number; fileUrl?: (f: { id: string }) => string };
interface Renderer {
  htmlH: H;
  toHtml(node: Node): string;
  mrkdwnToHtml(text: string, ctx?: Ctx): string;
  blocksToHtml(blocks: unknown, ctx?: Ctx): string;
  renderMessageBody(h: H, message: unknown, ctx?: Ctx): Node;
}
interface Dates {
  formatSlackDate(seconds: number, format: string, opts?: { timeZone?: string; now?: number }): string | null;
}
interface Files {
  formatSize(n: number): string;
}

let r: Renderer;
let d: Dates;
let f: Files;
beforeAll(async () => {
  const load = (name: string) => import(/* @vite-ignore */ new URL(`../../src/sandbox/console/${name}`, import.meta.url).href);
  r = (await load('block-kit-render.js')) as Renderer;
  d = (await load('slack-date.js')) as Dates;
  f = (await load('files-render.js')) as Files;
});

// 2023-11-14 22:13:20 UTC: a Wednesday morning in Tokyo, Tuesday afternoon in New York.
const T = 1700000000;

describe('Slack date tokens', () => {
  it('fills every documented token in the reader\'s zone', () => {
    const ny = { timeZone: 'America/New_York', now: Date.UTC(2024, 0, 1) };
    expect(d.formatSlackDate(T, '{date_num} {time} {time_secs}', ny)).toBe('2023-11-14 5:13 PM 5:13:20 PM');
    expect(d.formatSlackDate(T, '{date}|{date_short}|{date_long}', ny)).toBe('November 14th, 2023|Nov 14, 2023|Tuesday, November 14th, 2023');
    const tokyo = { timeZone: 'Asia/Tokyo', now: Date.UTC(2024, 0, 1) };
    expect(d.formatSlackDate(T, '{date_long} at {time}', tokyo)).toBe('Wednesday, November 15th, 2023 at 7:13 AM');
    expect(d.formatSlackDate(T, '{unknown} {date_num}', tokyo)).toBe('{unknown} 2023-11-15');
  });

  it('says today, yesterday and tomorrow by the reader\'s calendar, and how long ago', () => {
    const later = (h: number) => ({ timeZone: 'UTC', now: (T + h * 3600) * 1000 });
    expect(d.formatSlackDate(T, '{date_short_pretty} at {time}', later(1))).toBe('today at 10:13 PM');
    expect(d.formatSlackDate(T, '{date_pretty}', later(3))).toBe('yesterday');
    expect(d.formatSlackDate(T, '{date_long_pretty}', later(-23))).toBe('tomorrow');
    expect(d.formatSlackDate(T, '{date_short_pretty}', later(72))).toBe('Nov 14, 2023');
    expect(d.formatSlackDate(T, '{ago}', later(2))).toBe('2 hours ago');
  });

  it('renders a token as local time with the exact time in its title, linked when it has a link', () => {
    const html = r.mrkdwnToHtml(`Expires <!date^${T}^{date_short_pretty} at {time}^https://status.example/x|2023-11-14T22:13:20Z>.`, { timeZone: 'Asia/Tokyo', now: 0 });
    expect(html).toContain('>Nov 15, 2023 at 7:13 AM</a>');
    expect(html).toContain('href="https://status.example/x"');
    expect(html).toContain('title="Wednesday, November 15th, 2023 7:13:20 AM GMT+9 · 2023-11-14T22:13:20.000Z"');
    expect(html).not.toContain('2023-11-14T22:13:20Z<');
  });

  it('falls back to the label when the time cannot be read, and never links javascript:', () => {
    expect(r.mrkdwnToHtml('<!date^soon^{time}|in a while>')).toContain('in a while');
    const html = r.mrkdwnToHtml(`<!date^${T}^{date_num}^javascript:alert(1)|x>`, { timeZone: 'UTC' });
    expect(html).toContain('>2023-11-14</span>');
    expect(html).not.toContain('javascript:');
  });
});

describe('files on a message', () => {
  const ctx: Ctx = { fileUrl: (file) => `/sandbox/api/file?id=${file.id}` };
  const message = {
    text: 'Postmortem draft',
    files: [
      { id: 'F1', name: 'sli-chart.png', title: 'SLIs over the incident', filetype: 'png', size: 48_213 },
      { id: 'F2', name: 'postmortem-inc-1.md', title: 'Postmortem draft', filetype: 'md', size: 3_400 },
      { id: 'F3', name: 'evil.svg', filetype: 'svg', size: 10 },
    ],
  };

  it('shows a PNG inline from the console and other files as a download with name and size', () => {
    const html = r.toHtml(r.renderMessageBody(r.htmlH, message, ctx));
    expect(html).toContain('<img class="msg-file-img" src="/sandbox/api/file?id=F1" alt="SLIs over the incident"');
    expect(html).toContain('SLIs over the incident</span><span class="msg-file-size"> · 47 KB</span>');
    expect(html).toMatch(/<a class="msg-file msg-file-link" data-testid="file-link" data-file-id="F2" href="\/sandbox\/api\/file\?id=F2" download="postmortem-inc-1.md"[^>]*>.*postmortem-inc-1.md.*3.3 KB/);
    // An SVG could carry script: it is a download, never an inline image.
    expect(html).not.toContain('src="/sandbox/api/file?id=F3"');
    expect(html).toContain('download="evil.svg"');
  });

  it('sizes files as Slack does', () => {
    expect([f.formatSize(900), f.formatSize(1536), f.formatSize(48_213), f.formatSize(5_400_000)]).toEqual(['900 B', '1.5 KB', '47 KB', '5.1 MB']);
  });
});

/**
 * What the console must render whatever the bot posts, in Chromium against the real sandbox:
 * Slack date tokens in the browser's own time zone, a message edited with chat.update replaced
 * where it stands, and files shared with files.uploadV2 (a PNG inline, fetched through the
 * console; a markdown file as a download with its name and size).
 */
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';
import { launchChromium, openConsole, runInChromium, startDemoSandbox } from './browser-sandbox.js';

let sandbox: Sandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sandbox = await startDemoSandbox();
  browser = await launchChromium();
  // Tokyo: nine hours ahead of UTC, so a UTC or server-side rendering would show.
  page = await openConsole(browser, sandbox, { timezoneId: 'Asia/Tokyo' });
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

/** The Slack Web API of the emulator, as the bot calls it. */
async function slack(method: string, args: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(method, sandbox.emulator.url), {
    method: 'POST', headers: { authorization: 'Bearer xoxb-backstop-emulator', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(args),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (body.ok !== true) throw new Error(`${method}: ${JSON.stringify(body)}`);
  return body;
}

async function upload(filename: string, bytes: Buffer, channel: string): Promise<void> {
  const { upload_url, file_id } = await slack('files.getUploadURLExternal', { filename, length: String(bytes.length) }) as { upload_url: string; file_id: string };
  expect((await fetch(upload_url, { method: 'POST', body: new Uint8Array(bytes) })).status).toBe(200);
  await slack('files.completeUploadExternal', { files: JSON.stringify([{ id: file_id, title: filename }]), channel_id: channel });
}

function chart(): Buffer {
  const png = new PNG({ width: 320, height: 160 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([30, 120 + ((i / 4) % 320) / 4, 200, 255], i);
  return PNG.sync.write(png);
}

const T = 1700000000; // 2023-11-14 22:13:20 UTC = Wednesday 15 November, 7:13 AM in Tokyo

runInChromium('console rendering in a browser', () => {
  it('shows date tokens in the browser\'s local time and re-renders an edited message in place', async () => {
    const posted = await slack('chat.postMessage', { channel: 'C0SANDBOX', text: `Opened <!date^${T}^{date_long} at {time}|2023-11-14 22:13 UTC>; <!date^${T}^{date_num} {time_secs}|x>` }) as { ts: string };
    const msg = page.locator(`[data-testid="message"][data-ts="${posted.ts}"]`);
    await expect.poll(() => msg.getByTestId('date').allInnerTexts()).toEqual(['Wednesday, November 15th, 2023 at 7:13 AM', '2023-11-15 7:13:20 AM']);
    expect(await msg.getByTestId('date').first().getAttribute('title')).toContain('GMT+9');
    await slack('chat.postMessage', { channel: 'C0SANDBOX', text: 'a later message' });
    await expect.poll(() => page.getByTestId('message').count()).toBe(2);

    await slack('chat.update', { channel: 'C0SANDBOX', ts: posted.ts, text: 'Status: resolved at <!date^1700003600^{time}|later>' });
    await expect.poll(() => msg.innerText()).toContain('Status: resolved at 8:13 AM');
    // Replaced where it stood: still the first of two, once, marked edited.
    expect(await page.getByTestId('message').first().getAttribute('data-ts')).toBe(posted.ts);
    expect(await page.getByTestId('message').count()).toBe(2);
    expect(await msg.innerText()).toContain('(edited)');
    expect(await msg.innerText()).not.toContain('November 15th');
  });

  it('shows an uploaded PNG inline and a markdown file as a download with its name and size', async () => {
    await upload('sli-chart.png', chart(), 'C0SANDBOX');
    await upload('postmortem-inc-1.md', Buffer.from('# Postmortem\n\nImpact: …\n'), 'C0SANDBOX');
    const img = page.getByTestId('file-image').locator('img');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth)).toBe(320);
    const link = page.getByTestId('file-link');
    await expect.poll(() => link.innerText()).toMatch(/postmortem-inc-1\.md\s*2\d B/);
    const href = await link.getAttribute('href');
    const res = await fetch(new URL(href!, sandbox.consoleUrl));
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''postmortem-inc-1\.md$/);
    expect(await res.text()).toContain('# Postmortem');
    expect((await fetch(`${sandbox.bot.url}/sandbox/api/file?id=F0NOPE`)).status).toBe(404);
  });
});

/**
 * A new user's first run (the README's quick start), in headless Chromium against the real
 * sandbox: fire the demo alert, be refused as a non-approver, approve as two approvers, see the
 * rollback verified, resolve the alert and read the postmortem (summary, .md draft, PNG chart).
 * The incident header comes first and follows the rollback. Saves element screenshots of the
 * incident header, the proposal, the thread and the postmortem in test-artifacts/, and checks the
 * thread panel at 800 px shows the SLI table's verdict column.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';
import { actAs, approveButton, ARTIFACTS, launchChromium, openConsole, proposalMessage, runInChromium, startDemoSandbox } from './browser-sandbox.js';

let sandbox: Sandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  sandbox = await startDemoSandbox();
  browser = await launchChromium();
  page = await openConsole(browser, sandbox);
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

type Locator = ReturnType<Page['locator']>;

/** An element screenshot, toasts cleared first; with `through`, from the top of `locator` to the bottom of `through`. */
async function shoot(name: string, locator: Locator, through?: Locator): Promise<void> {
  const path = join(ARTIFACTS, name);
  await page.evaluate(() => document.querySelectorAll('[data-testid="toast"]').forEach((n) => n.remove()));
  if (through) {
    await locator.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    const a = (await locator.boundingBox())!;
    const b = (await through.boundingBox())!;
    await page.screenshot({ path, clip: { x: a.x, y: a.y, width: Math.max(a.width, b.width), height: b.y + b.height - a.y } });
  } else {
    await locator.screenshot({ path });
  }
  expect(existsSync(path), name).toBe(true);
}

/** The incident header: the top-level message posted before the proposal, edited as the incident evolves. */
function headerMessage() {
  return page.getByTestId('message').first();
}

runInChromium('sandbox console in a browser', () => {
  it('takes a new user from alert to verified rollback and postmortem', async () => {
    await page.getByTestId('fire-alert').click();
    await expect.poll(() => approveButton(page).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => proposalMessage(page).innerText()).toContain('v42');
    // The five-step guide is for people; the screenshots show the messages.
    if (await page.locator('#dismiss-guide').isVisible()) await page.locator('#dismiss-guide').click();
    await shoot('proposal.png', proposalMessage(page));
    // The header came first: severity, what fired, its source link, and a status.
    expect(await page.getByTestId('message').count()).toBe(2);
    const header = await headerMessage().innerText();
    expect(header).not.toContain('Rollback proposal:');
    for (const part of ['critical', 'ModelAccuracyDrop', 'accuracy below 0.85']) expect(header).toContain(part);
    expect(await headerMessage().locator('a[href^="http://prometheus.sandbox:9090/graph"]').count()).toBeGreaterThan(0);

    await actAs(page, 'U0MALLORY');
    await approveButton(page).click();
    await expect.poll(() => page.getByTestId('ephemeral').allInnerTexts(), { timeout: 10_000 }).toEqual(
      expect.arrayContaining([expect.stringContaining('not an approver')]),
    );

    await actAs(page, 'U0ALICE');
    // Mallory's refusal was for Mallory only.
    await expect.poll(() => page.getByTestId('ephemeral').allInnerTexts()).not.toEqual(expect.arrayContaining([expect.stringContaining('not an approver')]));
    await approveButton(page).click();
    await expect.poll(() => proposalMessage(page).innerText(), { timeout: 10_000 }).toContain('1/2');

    await actAs(page, 'U0BOB');
    await approveButton(page).click();
    await expect.poll(() => proposalMessage(page).innerText(), { timeout: 10_000 }).toContain('rolled back and verified');
    // The header followed the rollback, edited in place.
    await expect.poll(() => headerMessage().innerText(), { timeout: 10_000 }).toMatch(/verified/i);

    await proposalMessage(page).getByTestId('open-thread').click();
    await expect.poll(() => page.getByTestId('thread-panel').innerText(), { timeout: 10_000 }).toContain('Verified');
    // Tall enough for the whole thread in one picture.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await shoot('thread.png', page.getByTestId('thread-panel'), page.getByTestId('thread-panel').locator('#thread-body > *').last());
    await page.setViewportSize({ width: 1440, height: 1000 });

    await page.getByTestId('resolve-alert').click();
    await expect.poll(() => page.getByTestId('thread-panel').innerText(), { timeout: 10_000 }).toMatch(/Postmortem/);
    const thread = await page.getByTestId('thread-panel').innerText();
    for (const step of ['Proposed rollback', 'tried to approve but was refused', 'Approved by', 'Rolled back fraud-scorer to v41', 'Verified', 'All alerts resolved']) {
      expect(thread).toContain(step);
    }
    // The postmortem: its summary, and the uploaded draft and chart once they are attached.
    const postmortem = page.getByTestId('thread-reply').filter({ hasText: /Postmortem/ }).last();
    await postmortem.scrollIntoViewIfNeeded();
    // Then the draft as a .md download and the SLI chart as a PNG, shown inline and decoded.
    const panel = page.getByTestId('thread-panel');
    await expect.poll(() => panel.getByTestId('file-link').innerText(), { timeout: 10_000 }).toMatch(/postmortem-.*\.md\s*[\d.]+ KB/);
    const img = panel.getByTestId('file-image').locator('img');
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBeGreaterThan(300);
    // Tall enough for the summary and the files posted after it in one picture.
    await page.setViewportSize({ width: 1440, height: 2400 });
    const lastReply = page.getByTestId('thread-reply').last();
    await shoot('postmortem.png', postmortem, lastReply);
    await page.setViewportSize({ width: 1440, height: 1000 });

    await expect.poll(() => headerMessage().innerText(), { timeout: 10_000 }).toMatch(/resolved/i);
    await shoot('incident-header.png', headerMessage());
    await page.screenshot({ path: join(ARTIFACTS, 'sandbox-finished-thread.png'), fullPage: true });
  }, 90_000);

  it('fits the thread panel at 800 px: the SLI table\'s verdict column is inside it', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    const panel = page.getByTestId('thread-panel');
    await panel.getByTestId('thread-parent').scrollIntoViewIfNeeded();
    const table = panel.getByTestId('thread-parent').locator('pre', { hasText: 'verdict' }).first();
    await expect.poll(() => table.count()).toBe(1);
    // Every verdict word, measured where it is drawn: inside the panel, not scrolled or cut off.
    const boxes = await table.evaluate((pre) => {
      const out: { word: string; right: number; left: number }[] = [];
      const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const m of text.matchAll(/verdict|breach|ok\b/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const r = range.getBoundingClientRect();
          out.push({ word: m[0], left: r.left, right: r.right });
        }
      }
      return { words: out, scrollable: pre.scrollWidth > pre.clientWidth + 1 };
    });
    const panelBox = (await panel.boundingBox())!;
    expect(boxes.scrollable).toBe(false);
    expect(boxes.words.map((w) => w.word)).toEqual(expect.arrayContaining(['verdict', 'breach']));
    for (const w of boxes.words) {
      expect(w.left, w.word).toBeGreaterThanOrEqual(panelBox.x);
      expect(w.right, w.word).toBeLessThanOrEqual(panelBox.x + panelBox.width);
    }
    await shoot('thread-800px.png', panel);
  }, 30_000);
});

/**
 * The demo works every time, in Chromium: a sandbox started on a database whose last run left its
 * proposal pending proposes afresh and rolls back to Verified; and within one run, Reset demo
 * closes the open incident so the next demo alert proposes again.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';
import { actAs, approveButton, launchChromium, openConsole, proposalMessage, runInChromium, startDemoSandbox } from './browser-sandbox.js';

let browser: Browser;
const running: Sandbox[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const s of running) await s.stop().catch(() => undefined);
});

async function start(db: string): Promise<{ sandbox: Sandbox; page: Page }> {
  const sandbox = await startDemoSandbox(db);
  running.push(sandbox);
  return { sandbox, page: await openConsole(browser, sandbox) };
}

async function stop(sandbox: Sandbox, page: Page): Promise<void> {
  await page.context().close();
  running.splice(running.indexOf(sandbox), 1);
  await sandbox.stop();
}

async function fireAndPropose(page: Page, proposals: number): Promise<void> {
  await page.getByTestId('fire-alert').click();
  await expect.poll(() => page.getByTestId('message').filter({ hasText: 'Rollback proposal' }).count(), { timeout: 10_000 }).toBe(proposals);
  await expect.poll(() => proposalMessage(page).innerText()).toContain('v42');
  expect(await proposalMessage(page).innerText()).toContain('v41');
  expect(await proposalMessage(page).innerText()).toContain('waiting for approval');
}

async function approveToVerified(page: Page): Promise<void> {
  for (const user of ['U0ALICE', 'U0BOB']) {
    await actAs(page, user);
    await approveButton(page).click();
    await expect.poll(() => proposalMessage(page).innerText(), { timeout: 10_000 }).toContain(user === 'U0ALICE' ? '1/2' : 'rolled back and verified');
  }
}

runInChromium('the sandbox demo, every time', () => {
  it('proposes afresh on a second start after the first left its proposal pending', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'backstop-twice-')), 'backstop.db');
    const first = await start(db);
    await fireAndPropose(first.page, 1);
    await stop(first.sandbox, first.page);

    const second = await start(db);
    // A new emulator: the channel starts empty, with no ghost of the last run.
    await expect.poll(() => second.page.locator('#messages').innerText()).toContain('No messages yet');
    await fireAndPropose(second.page, 1);
    await approveToVerified(second.page);
    await stop(second.sandbox, second.page);
  }, 90_000);

  it('Reset demo closes the open incident so the next alert proposes again', async () => {
    const { page } = await start(join(mkdtempSync(join(tmpdir(), 'backstop-reset-')), 'backstop.db'));
    await fireAndPropose(page, 1);
    await approveToVerified(page);
    await page.getByTestId('reset-demo').click();
    await expect.poll(() => page.getByTestId('toast').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('1 fraud-scorer incident resolved')]));
    await fireAndPropose(page, 2);
    await approveToVerified(page);
  }, 90_000);
});

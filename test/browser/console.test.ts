/**
 * A new user's first run, in headless Chromium against the real sandbox: fire the demo alert,
 * be refused as a non-approver, approve as two approvers, see the rollback verified, resolve
 * the alert and read the postmortem draft. Saves a screenshot of the finished thread.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
// CI installs Chromium (.ci/run); a developer machine without it skips rather than fails.
const run = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

let sandbox: Sandbox;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-browser-'));
  const loaded = loadPolicyFile(fileURLToPath(new URL('../../manifests/policy.sandbox.yaml', import.meta.url)));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const policy = { ...loaded.policy, postmortemDir: join(dir, 'postmortems'), defaults: { ...loaded.policy.defaults, settle: 0 } };
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: join(dir, 'backstop.db') });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  sandbox = await startSandbox({ env: env.env, policy, log: createLogger({ level: 'silent' }) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

async function as(user: string) {
  await page.getByTestId('user-switcher').selectOption(user);
}

function approveButton() {
  return page.getByTestId('message').locator('[data-action-id="backstop_approve"]').first();
}

run('sandbox console in a browser', () => {
  it('takes a new user from alert to verified rollback and postmortem', async () => {
    await page.goto(sandbox.consoleUrl);
    await page.getByTestId('channel-inc-fraud-scorer').click();
    await page.getByTestId('fire-alert').click();
    await expect.poll(() => approveButton().count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('message').first().innerText()).toContain('v42');

    await as('U0MALLORY');
    await approveButton().click();
    await expect.poll(() => page.getByTestId('ephemeral').allInnerTexts(), { timeout: 10_000 }).toEqual(
      expect.arrayContaining([expect.stringContaining('not an approver')]),
    );

    await as('U0ALICE');
    // Mallory's refusal was for Mallory only.
    await expect.poll(() => page.getByTestId('ephemeral').allInnerTexts()).not.toEqual(expect.arrayContaining([expect.stringContaining('not an approver')]));
    await approveButton().click();
    await expect.poll(() => page.getByTestId('message').first().innerText(), { timeout: 10_000 }).toContain('1/2');

    await as('U0BOB');
    await approveButton().click();
    await expect.poll(() => page.getByTestId('message').first().innerText(), { timeout: 10_000 }).toContain('rolled back and verified');

    await page.getByTestId('open-thread').first().click();
    await expect.poll(() => page.getByTestId('thread-panel').innerText(), { timeout: 10_000 }).toContain('Verified');

    await page.getByTestId('resolve-alert').click();
    await expect.poll(() => page.getByTestId('thread-panel').innerText(), { timeout: 10_000 }).toContain('Postmortem draft');
    const thread = await page.getByTestId('thread-panel').innerText();
    for (const step of ['Proposed rollback', 'tried to approve but was refused', 'Approved by', 'Quorum reached', 'Rolled back fraud-scorer to v41', 'Verified', 'All alerts resolved']) {
      expect(thread).toContain(step);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'sandbox-finished-thread.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'sandbox-finished-thread.png'))).toBe(true);
  });
});

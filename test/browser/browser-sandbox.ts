/**
 * The real sandbox (bot + Slack emulator + console) driven by headless Chromium: what the
 * browser tests share. `startBrowserSandbox` starts both; `stop` ends both.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { parseEnv } from '../../src/config/env.js';
import { loadPolicyFile } from '../../src/config/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/start-sandbox.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');
// CI installs Chromium (.ci/run); a developer machine without it skips rather than fails.
export const runInChromium = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The sandbox on `dbFile` (default: a new one) with the shipped demo policy, settling at once. */
export async function startDemoSandbox(dbFile?: string): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-browser-'));
  const loaded = loadPolicyFile(fileURLToPath(new URL('../../manifests/policy.sandbox.yaml', import.meta.url)));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const policy = { ...loaded.policy, postmortemDir: join(dir, 'postmortems'), defaults: { ...loaded.policy.defaults, settle: 0 } };
  const env = parseEnv({ PORT: '0', HOST: '127.0.0.1', BACKSTOP_DB: dbFile ?? join(dir, 'backstop.db') });
  if (!env.ok) throw new Error(JSON.stringify(env.problems));
  return startSandbox({ env: env.env, policy, log: createLogger({ level: 'silent' }) });
}

/** A page on the console of `sandbox`, in the incident channel. */
export async function openConsole(browser: Browser, sandbox: Sandbox, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(sandbox.consoleUrl);
  await page.getByTestId('channel-inc-fraud-scorer').click();
  return page;
}

export async function actAs(page: Page, user: string): Promise<void> {
  await page.getByTestId('user-switcher').selectOption(user);
}

/** The newest proposal's Approve button in the channel. */
export function approveButton(page: Page) {
  return page.getByTestId('message').filter({ has: page.locator('[data-action-id="backstop_approve"]') }).last().locator('[data-action-id="backstop_approve"]');
}

/** The newest top-level message that is a rollback proposal (it has, or had, the decision buttons). */
export function proposalMessage(page: Page) {
  return page.getByTestId('message').filter({ hasText: 'Rollback proposal' }).last();
}

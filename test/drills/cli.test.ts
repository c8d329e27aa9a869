import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { drillCommand } from '../../src/cli/drill.js';

const dir = mkdtempSync(join(tmpdir(), 'backstop-drill-cli-'));
const env = { BACKSTOP_DB: join(dir, 'backstop.db') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await drillCommand(args, env, (l) => out.push(l), (l) => err.push(l), dir);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npx backstop drill', () => {
  it('runs a scenario headless and prints the thread and the report; exit 0 when it passes', async () => {
    const r = await cli('adapter-failure-retry', '--speed', '100', '--workdir', join(dir, 'run1'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('🧪 DRILL adapter-failure-retry');
    expect(r.out).toContain('#drill-fraud-scorer');
    expect(r.out).toContain('== 🧪 DRILL · Rollback proposal: drill-fraud-scorer ==');
    expect(r.out).toContain('↳');
    expect(r.out).toContain('Rolled back drill-fraud-scorer to v41');
    expect(r.out).toContain('result: PASSED; outcome verified (expected verified)');
    expect(r.out).toContain('3 attempt(s), 2 retries');
  });

  it('keeps the report in BACKSTOP_DB and shows the trend with `drill report`', async () => {
    await cli('metrics-outage', '--speed', '100', '--workdir', join(dir, 'run2'));
    const r = await cli('report');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/metrics-outage\s+inconclusive\s+pass/);
    expect(r.out).toMatch(/adapter-failure-retry\s+verified\s+pass/);
    expect(r.out).toContain('Per scenario');
    const json = JSON.parse((await cli('report', '--json', '--scenario', 'metrics-outage')).out) as { scenario: string }[];
    expect(json.map((x) => x.scenario)).toEqual(['metrics-outage']);
  });

  it('lists the shipped scenarios', async () => {
    const r = await cli('list');
    expect(r.out).toMatch(/^model-accuracy-drop\s+Model accuracy drop/m);
  });

  it('validates scenario files and names the bad field; exit 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\ntitle: Bad\nservice: x\nalert: { name: X, summary: x }\nslis: []\napprovers: [{ id: U0A1, name: a }]\nexpect: { outcome: verified }\n');
    const r = await cli('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: slis: give at least one SLI`);
    expect((await cli(file)).code).toBe(1);
  });

  it('answers usage errors with exit 2', async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli('no-such-scenario')).err).toContain('no scenario "no-such-scenario"');
    expect((await cli('model-accuracy-drop', '--speed', 'fast')).code).toBe(2);
    expect((await cli('model-accuracy-drop', '--frobnicate')).err).toContain('unknown option --frobnicate');
  });
});

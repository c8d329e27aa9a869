/**
 * What the runner's modules share: where things go, the command line, the sample sizes, and the
 * small helpers every measurement uses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AM_TOKEN } from './common.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HOST = fileURLToPath(new URL('./host.ts', import.meta.url));
export const OUT = join(ROOT, 'bench-results');
export const PROFILE = process.argv.includes('--profile');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
/** `--only=1,2`: just those figures (a profile of one figure is easier to read). */
const ONLY = arg('only')?.split(',');
export const wanted = (figure: string) => !ONLY || ONLY.includes(figure) || (figure.endsWith('pg') && ONLY.includes('pg'));
/** `--reps=N`: every figure N times, each with its baseline measured in the same repetition (default 3). */
export const REPS = Math.max(1, Number(arg('reps') ?? 3));
/** `--generators=N`: load-generator processes for intake (default 2). */
export const GENERATORS = Math.max(1, Number(arg('generators') ?? 2));
/** `--quick`: smaller samples, to develop the harness (figures are not comparable with a full run). */
export const QUICK = process.argv.includes('--quick');
/** Databases, policies, logs, host configurations and the compiled build; removed when the runner exits, however it exits. */
export const WORK = mkdtempSync(join(tmpdir(), 'backstop-bench-'));

export const CLICKS = 50;
export const ACK_ROUNDS = QUICK ? 6 : 30;
export const ACK_WARMUP_ROUNDS = 2;
export const PROPOSAL_SAMPLES = QUICK ? 20 : 100;
export const GROWTH_SAMPLES = QUICK ? 10 : 40;
/** Samples taken first and not counted (JIT, connections). */
export const WARMUP = 5;
export const INTAKE_CONCURRENCY = 16;
export const INTAKE_SECONDS = QUICK ? 2 : 4;
export const COLD_STARTS = QUICK ? 2 : 5;
export const ALERTS_PER_PAYLOAD = 10;

export const log = (s: string) => process.stderr.write(`${s}\n`);
export const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
export const amHeaders = { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` };
let fingerprintSeq = 0;
/** `c…` for single alerts that open incidents, `b…`/`d…` for intake load (per generator process), `e…` for the storm; seeded history uses `a…`. */
export const nextFingerprint = (prefix: 'c') => `${prefix}${(fingerprintSeq++).toString(16).padStart(15, '0')}`;
export const START = new Date(Date.now() - 60_000).toISOString();
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

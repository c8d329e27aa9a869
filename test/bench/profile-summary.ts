/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the
 * inclusive share of the functions named on the command line (what a fix was meant to shrink).
 *
 *   npx tsx test/bench/profile-summary.ts bench-results/profiles/backstop-empty/CPU…cpuprofile handleAlerts matchService append
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
}

export function summarise(file: string, names: readonly string[], top = 15): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const total = p.samples.length;
  const idle = [...hits].filter(([id]) => ['(idle)', '(program)', '(garbage collector)'].includes(byId.get(id)?.callFrame.functionName ?? '')).reduce((n, [, h]) => n + h, 0);
  const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  for (const [id, h] of hits) {
    const n = byId.get(id)!;
    self.set(label(n), (self.get(label(n)) ?? 0) + h);
  }
  // Inclusive: a sample counts once for a name however deep it recurses.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>(names.map((x) => [x, 0]));
  for (const [id, h] of hits) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur)!.callFrame.functionName;
      if (inclusive.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, inclusive.get(fn)! + h);
      }
    }
  }
  const busy = total - idle;
  const pct = (h: number) => `${((100 * h) / Math.max(busy, 1)).toFixed(1)}%`;
  const lines = [`${basename(file)}: ${total} samples, ${busy} busy (shares below are of busy samples)`];
  for (const [fn, h] of inclusive) lines.push(`  inclusive ${pct(h).padStart(6)}  ${fn}`);
  lines.push('  self:');
  for (const [fn, h] of [...self].filter(([fn]) => !/^\((idle|program|garbage collector)\)/.test(fn)).sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(h).padStart(6)}  ${fn}`);
  const gc = [...hits].filter(([id]) => byId.get(id)?.callFrame.functionName === '(garbage collector)').reduce((n, [, h]) => n + h, 0);
  lines.push(`  (garbage collector) ${((100 * gc) / Math.max(total, 1)).toFixed(1)}% of all samples`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const [file, ...names] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary.ts FILE.cpuprofile [functionName …]');
    process.exit(2);
  }
  console.log(summarise(file, names));
}

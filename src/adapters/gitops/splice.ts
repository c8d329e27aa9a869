import { isScalar, parseDocument, type Scalar } from 'yaml';

/**
 * Sets one scalar in YAML source text by splicing only its characters, so a commit changes
 * exactly one line: comments, aligned trailing comments, quoting, key order and blank lines are
 * the author's, not a re-serializer's. The result is parsed again and refused unless it says
 * `to` at the path (with the same type) and nothing else moved.
 */

export type Splice = { ok: true; text: string } | { ok: false; message: string };

/** The value at `keys` as text, or null when there is no scalar there (or the YAML is broken). */
export function scalarAt(source: string, keys: readonly string[]): string | null {
  try {
    const node = parseDocument(source).getIn(keys, true);
    return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : null;
  } catch {
    return null;
  }
}

export function spliceScalar(source: string, keys: readonly string[], to: string): Splice {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) return { ok: false, message: `is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}` };
  const node = doc.getIn(keys, true);
  if (!isScalar(node) || !node.range) return { ok: false, message: `has no scalar at ${keys.join('.')}` };
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return { ok: false, message: `holds a block scalar at ${keys.join('.')}; only a one-line value can be edited in place` };
  // A number stays a number when the new value is one; anything else is a string.
  const want: string | number = typeof node.value === 'number' && /^-?\d+(\.\d+)?$/.test(to) ? Number(to) : to;
  const [start, end] = node.range;
  for (const candidate of candidates(node, to, want)) {
    const text = source.slice(0, start) + candidate + keepCommentColumn(source.slice(end), candidate.length - (end - start));
    if (sameElsewhere(source, text, keys, want)) return { ok: true, text };
  }
  return { ok: false, message: `cannot write ${JSON.stringify(to)} at ${keys.join('.')} without changing how the file reads` };
}

/** Ways to write `to` in the node's own style first, then double-quoted. */
function candidates(node: Scalar, to: string, want: string | number): string[] {
  const quoted = JSON.stringify(to);
  if (node.type === 'QUOTE_DOUBLE') return [quoted];
  if (node.type === 'QUOTE_SINGLE') return [`'${to.replace(/'/g, "''")}'`, quoted];
  return typeof want === 'number' ? [to] : [to, quoted];
}

// `tag: v9      # note` → `tag: v10     # note`: the comment stays in its column while there is room.
function keepCommentColumn(rest: string, grew: number): string {
  const gap = /^( +)#/.exec(rest)?.[1];
  if (gap === undefined || grew === 0) return rest;
  return ' '.repeat(Math.max(1, gap.length - grew)) + rest.slice(gap.length);
}

/** The edited text parses, has `want` at the path, and equals the original everywhere else. */
function sameElsewhere(before: string, after: string, keys: readonly string[], want: string | number): boolean {
  const doc = parseDocument(after);
  if (doc.errors.length > 0) return false;
  const node = doc.getIn(keys, true);
  if (!isScalar(node) || node.value !== want) return false;
  const original = parseDocument(before);
  original.setIn(keys, want);
  doc.setIn(keys, want);
  return JSON.stringify(original.toJS()) === JSON.stringify(doc.toJS());
}

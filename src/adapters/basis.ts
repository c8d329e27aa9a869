import { createHash } from 'node:crypto';

/**
 * `RollbackPlan.basis` for adapters that plan against a changing object (the Kubernetes family):
 * `kind=kubernetes;restore=5;revision=7;template=3f2a…`, URI-encoded `key=value` pairs. Only
 * fields that stay put while controllers write status belong here (revisions, template digests),
 * never a resourceVersion, which changes on every status write.
 */

export type Basis = Record<string, string>;

export function formatBasis(kind: string, fields: Record<string, string | number | null | undefined>): string {
  const parts = [`kind=${encodeURIComponent(kind)}`];
  for (const [k, v] of Object.entries(fields)) if (v !== null && v !== undefined && v !== '') parts.push(`${k}=${encodeURIComponent(String(v))}`);
  return parts.join(';');
}

/** The fields of a basis this adapter kind wrote, or null for none, another kind's, or a foreign format. */
export function parseBasis(text: string | undefined, kind: string): Basis | null {
  if (!text) return null;
  const out: Basis = {};
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    try {
      out[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return null;
    }
  }
  return out.kind === kind ? out : null;
}

/** `name planned → now` for each of `keys` both bases know (non-empty) and that differ. */
export function basisChanges(planned: Basis, now: Basis, keys: readonly string[]): string[] {
  return keys.filter((k) => planned[k] && now[k] && planned[k] !== now[k]).map((k) => `${k} ${planned[k]} → ${now[k]}`);
}

/** A short, stable digest of a JSON value: object keys sorted, undefined members dropped. */
export function digest(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex').slice(0, 12);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

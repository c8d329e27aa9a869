import { z } from 'zod';

/**
 * Whether callers of the serving version can call the rollback target: a pure comparison of
 * two MLflow input schemas (`signature.inputs`). Column schemas are compared by name; every
 * column the target requires must be sent today with the same type. Tensor schemas must match.
 */

export interface SignatureVerdict {
  compatible: boolean;
  detail: string;
}

const column = z.object({
  name: z.string().optional(),
  type: z.string(),
  required: z.boolean().optional(),
  optional: z.boolean().optional(),
}).passthrough();
type Column = z.infer<typeof column>;

const columns = z.array(column);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isRequired(c: Column): boolean {
  return c.required !== false && c.optional !== true;
}

function describeType(c: Column): string {
  return c.type === 'tensor' ? `tensor ${canonical((c as Record<string, unknown>)['tensor-spec'])}` : c.type;
}

export function compareSignatures(current: { version: string; inputs: unknown }, target: { version: string; inputs: unknown }): SignatureVerdict {
  if (current.inputs === undefined || target.inputs === undefined) {
    const missing = [current, target].filter((s) => s.inputs === undefined).map((s) => s.version);
    return { compatible: true, detail: `not compared: version ${missing.join(' and ')} exposes no input signature` };
  }
  const from = columns.safeParse(current.inputs);
  const to = columns.safeParse(target.inputs);
  const named = from.success && to.success && [...from.data, ...to.data].every((c) => c.name !== undefined && c.type !== 'tensor');
  if (!named || !from.success || !to.success) {
    const same = canonical(current.inputs) === canonical(target.inputs);
    return same
      ? { compatible: true, detail: `versions ${current.version} and ${target.version} take the same inputs` }
      : { compatible: false, detail: `input schema of version ${target.version} differs from ${current.version}'s: ${canonical(target.inputs)} vs ${canonical(current.inputs)}` };
  }
  const sent = new Map(from.data.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const need of to.data.filter(isRequired)) {
    const have = sent.get(need.name);
    if (!have) problems.push(`needs column ${need.name} (${describeType(need)}) that callers of ${current.version} do not send`);
    else if (have.type !== need.type) problems.push(`needs ${need.name} as ${describeType(need)}, callers of ${current.version} send ${describeType(have)}`);
  }
  if (problems.length > 0) return { compatible: false, detail: `version ${target.version} ${problems.join('; ')}` };
  return { compatible: true, detail: `every input version ${target.version} requires is sent to ${current.version} with the same type` };
}

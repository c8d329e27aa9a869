/**
 * Which service an alert belongs to, in time proportional to the alert's labels rather than the
 * policy's size: every service is filed under one of its matcher pairs (label=value), so an alert
 * only checks the services filed under one of its own pairs. Built once per policy object.
 */

interface Matchable {
  readonly match: Readonly<Record<string, string>>;
}

interface Candidate {
  /** Position in the policy: the first service (in policy order) that matches wins, as before. */
  order: number;
  name: string;
  match: readonly (readonly [string, string])[];
}

export interface MatchIndex {
  find(labels: Readonly<Record<string, string>>): string | undefined;
}

// A label name or value may hold any character, so the key joins them with a NUL, which YAML strings rarely carry and the match below re-checks anyway.
const key = (label: string, value: string) => `${label}\u0000${value}`;

export function buildMatchIndex(services: Readonly<Record<string, Matchable>>): MatchIndex {
  const byPair = new Map<string, Candidate[]>();
  const always: Candidate[] = [];
  Object.entries(services).forEach(([name, svc], order) => {
    const match = Object.entries(svc.match);
    const c: Candidate = { order, name, match };
    const first = match[0];
    if (!first) {
      always.push(c);
      return;
    }
    const k = key(first[0], first[1]);
    const list = byPair.get(k);
    if (list) list.push(c);
    else byPair.set(k, [c]);
  });
  return {
    find(labels) {
      let best: Candidate | undefined;
      const consider = (c: Candidate) => {
        if (best && best.order < c.order) return;
        if (c.match.every(([k, v]) => labels[k] === v)) best = c;
      };
      for (const c of always) consider(c);
      for (const label in labels) {
        const v = labels[label];
        if (v === undefined) continue;
        const list = byPair.get(key(label, v));
        if (list) for (const c of list) consider(c);
      }
      return best?.name;
    },
  };
}

const built = new WeakMap<object, MatchIndex>();

/** The index of `services`, built on first use and kept as long as that policy object lives. */
export function matchIndexOf(services: Readonly<Record<string, Matchable>>): MatchIndex {
  let index = built.get(services);
  if (!index) built.set(services, (index = buildMatchIndex(services)));
  return index;
}

/**
 * What Backstop says to people, as data: plain words plus the parts a chat renders specially
 * (a person, a user group, @here, emphasis, code). No markup lives here: Slack's views turn it
 * into mrkdwn, PagerDuty notes, postmortems and logs into plain text.
 */
export type SaidPart = string | { user: string } | { group: string } | { here: true } | { strong: string } | { code: string } | { time: string };
export type Said = readonly SaidPart[];

export const user = (id: string): SaidPart => ({ user: id });
export const group = (id: string): SaidPart => ({ group: id });
export const strong = (text: string): SaidPart => ({ strong: text });
export const code = (text: string): SaidPart => ({ code: text });
export const here: SaidPart = { here: true };
/** A moment (ISO): Slack shows it in each reader's time zone, plain text as UTC to the minute. */
export const time = (iso: string): SaidPart => ({ time: iso });

type Piece = SaidPart | Said | number | null | undefined;

/** `said\`Approved by ${user('U1')} (${given})\``: strings and numbers are words, parts stay parts. */
export function said(strings: TemplateStringsArray, ...pieces: Piece[]): Said {
  const out: SaidPart[] = [];
  strings.forEach((s, i) => {
    if (s) out.push(s);
    if (i < pieces.length) push(out, pieces[i]);
  });
  return merge(out);
}

function push(out: SaidPart[], p: Piece): void {
  if (p === null || p === undefined) return;
  if (typeof p === 'number') out.push(String(p));
  else if (Array.isArray(p)) for (const x of p as Said) out.push(x);
  else out.push(p as SaidPart);
}

/** Adjacent words joined, so renderers and tests see one string where the text is plain. */
function merge(parts: readonly SaidPart[]): Said {
  const out: SaidPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else out.push(p);
  }
  return out;
}

/** Joins several pieces of text with a separator, e.g. a list of people. */
export function joinSaid(items: readonly Said[], sep: string, lastSep = sep): Said {
  const out: SaidPart[] = [];
  items.forEach((item, i) => {
    if (i > 0) out.push(i === items.length - 1 ? lastSep : sep);
    out.push(...item);
  });
  return merge(out);
}

/** Plain text: people by name where a name is known (else their id), no markup. */
export function plainText(s: Said, nameOf: (id: string) => string | undefined = () => undefined): string {
  return s.map((p) => {
    if (typeof p === 'string') return p;
    if ('user' in p) return `@${nameOf(p.user) ?? p.user}`;
    if ('group' in p) return `@${nameOf(p.group) ?? p.group}`;
    if ('here' in p) return '@here';
    if ('strong' in p) return p.strong;
    if ('time' in p) return utcMinute(p.time);
    return p.code;
  }).join('');
}

/** "2025-03-01 12:05 UTC": what a person reads, not milliseconds. */
export function utcMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The people a text mentions, once each: what a renderer needs names for. */
export function peopleIn(s: Said): string[] {
  return [...new Set(s.flatMap((p) => (typeof p !== 'string' && 'user' in p ? [p.user] : [])))];
}

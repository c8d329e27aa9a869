import { BLOCK_INCIDENT_HEADER } from '../../src/slack/views/incident-header.js';

/** Whether a message is an incident header (one per incident, top level, before its proposal). */
export function isIncidentHeader(m: { blocks?: unknown }): boolean {
  return JSON.stringify(m.blocks ?? []).includes(`"block_id":"${BLOCK_INCIDENT_HEADER}"`);
}

/** The first top-level message that is not an incident header: the proposal, in most tests. */
export function proposalPost<T extends { threadTs?: string; blocks?: unknown }>(posts: readonly T[]): T | undefined {
  return posts.find((m) => !m.threadTs && !isIncidentHeader(m));
}

/** The edits of one message, oldest first. */
export function updatesOf<T extends { ts: string }>(updates: readonly T[], ts: string): T[] {
  return updates.filter((u) => u.ts === ts);
}

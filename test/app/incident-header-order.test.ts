/**
 * The incident header comes first in the channel: a proposal's first post waits for it, but only
 * a few attempts: a header Slack keeps refusing never holds the proposal back for good.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleAlerts } from '../../src/app/handle-alerts.js';
import { ChatError } from '../../src/ports/chat.js';
import { buildHarness, firingAlert } from '../support/harness.js';
import { isIncidentHeader, proposalPost } from '../support/messages.js';

function harness() {
  return buildHarness({ postmortemDir: mkdtempSync(join(tmpdir(), 'backstop-header-order-')) });
}

async function drainFor(h: ReturnType<typeof harness>, ms: number) {
  for (let t = 0; t < ms; t += 500) {
    h.clock.advance(500);
    h.drainer.kick();
    await h.drainer.flushed();
  }
}

describe('incident header order', () => {
  it('holds the proposal while the header fails, posts the header first once Slack takes it', async () => {
    const h = harness();
    const post = h.chat.post.bind(h.chat);
    let refuse = 2;
    h.chat.post = async (m) => {
      if (isIncidentHeader(m) && refuse-- > 0) throw new ChatError('unavailable', 'chat.postMessage: internal_error', { slackError: 'internal_error' });
      return post(m);
    };
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    expect(h.chat.posts.filter((m) => !m.threadTs)).toHaveLength(0);
    await drainFor(h, 10_000);
    const top = h.chat.posts.filter((m) => !m.threadTs);
    expect(top.map(isIncidentHeader)).toEqual([true, false]);
    expect(h.store.incidents.listOpen()[0]!.headerTs).toBe(top[0]!.ts);
    // The header then links to the proposal.
    expect(JSON.stringify(h.chat.updates.filter((u) => u.ts === top[0]!.ts).at(-1)!.blocks)).toContain(`/archives/C0INCIDENT/p${top[1]!.ts.replace('.', '')}`);
  });

  it('posts the proposal anyway after a few attempts when the header cannot be posted', async () => {
    const h = harness();
    const post = h.chat.post.bind(h.chat);
    h.chat.post = async (m) => {
      if (isIncidentHeader(m)) throw new ChatError('unavailable', 'chat.postMessage: internal_error', { slackError: 'internal_error' });
      return post(m);
    };
    await handleAlerts(h.deps, [firingAlert()]);
    await h.settle();
    await drainFor(h, 10_000);
    const proposal = proposalPost(h.chat.posts);
    expect(proposal?.text).toContain('Rollback proposal');
    expect(h.chat.thread(proposal!.ts)[0]!.text).toContain('Proposed rollback');
    expect(h.chat.posts.filter(isIncidentHeader)).toHaveLength(0);
  });
});

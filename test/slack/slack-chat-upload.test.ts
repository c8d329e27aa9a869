/** SlackChat's uploads through the Web API client, against the emulator over loopback HTTP. */
import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChatError } from '../../src/ports/chat.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator.js';
import { SlackChat } from '../../src/slack/chat.js';

let emu: SlackEmulator;
let chat: SlackChat;
const channel = 'C0OPS';

beforeEach(async () => {
  emu = new SlackEmulator();
  await emu.start();
  emu.addChannel({ id: channel, name: 'ops', members: [] });
  chat = new SlackChat(new WebClient(emu.botToken, { slackApiUrl: emu.url, retryConfig: { retries: 0 } }));
});

afterEach(async () => {
  await emu.stop();
});

describe('SlackChat uploads', () => {
  it('shares a file in a thread through files.uploadV2 and the upload URL Slack hands out, and finds it again by title', async () => {
    const parent = await chat.post({ channel, text: 'proposal' });
    const { fileId } = await chat.upload({ channel, threadTs: parent.ts, filename: 'postmortem-inc-1.md', title: 'Postmortem draft inc-1', content: Buffer.from('# Postmortem\n'), altText: 'the draft' });
    expect(emu.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'file_upload', 'files.completeUploadExternal']);
    expect(emu.files()[0]).toMatchObject({ id: fileId, filename: 'postmortem-inc-1.md', title: 'Postmortem draft inc-1', completed: true });
    expect(emu.thread(channel, parent.ts).at(-1)?.files).toHaveLength(1);
    expect(await chat.findUpload(channel, parent.ts, 'Postmortem draft inc-1')).toEqual({ fileId });
    expect(await chat.findUpload(channel, parent.ts, 'SLIs during inc-1')).toBeUndefined();
  });

  it('maps a refusal to a ChatError, like the other calls', async () => {
    const err = await chat.upload({ channel: 'C0NOWHERE', filename: 'a.png', title: 'a', content: Buffer.from('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 'refused' });
  });
});

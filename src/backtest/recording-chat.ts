import type { Chat, ChatMessage, ChatUpload, Directory } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';

export interface RecordedPost {
  at: string;
  channel: string;
  /** Set for replies in a proposal's thread. */
  threadTs?: string;
  text: string;
  /** True when the message is an edit of an earlier one (the proposal message re-rendered). */
  update?: boolean;
}

/** A Slack that only writes down what Backstop would have said, and when (on the replay's clock). */
export class RecordingChat implements Chat {
  readonly posts: RecordedPost[] = [];
  private n = 0;

  constructor(private readonly clock: Clock) {}

  async post(msg: ChatMessage): Promise<{ channel: string; ts: string }> {
    // Deterministic message ids, so two replays of the same data print the same thing.
    const ts = `0000000000.${String(++this.n).padStart(6, '0')}`;
    this.posts.push({ at: this.clock.now().toISOString(), channel: msg.channel, ...(msg.threadTs ? { threadTs: msg.threadTs } : {}), text: msg.text });
    return { channel: msg.channel, ts };
  }

  async update(msg: ChatMessage & { ts: string }): Promise<void> {
    this.posts.push({ at: this.clock.now().toISOString(), channel: msg.channel, text: msg.text, update: true });
  }

  async findPosted(): Promise<undefined> {
    // A replay never dies between posting and recording it: nothing is ever half sent.
    return undefined;
  }

  async postEphemeral(): Promise<void> {
    // Nobody clicks in a replay, so nobody is answered privately.
  }

  async upload(file: ChatUpload): Promise<{ fileId: string }> {
    // The file itself is not kept: a replay reports what would have been shared, and where.
    this.posts.push({ at: this.clock.now().toISOString(), channel: file.channel, ...(file.threadTs ? { threadTs: file.threadTs } : {}), text: `[file] ${file.title} (${file.filename})` });
    return { fileId: `F${String(++this.n).padStart(6, '0')}` };
  }

  async findUpload(): Promise<undefined> {
    return undefined;
  }

  async ensureChannel(name: string): Promise<string> {
    return `#${name}`;
  }
}

/** Nobody to look up in a replay: approvers are named, never resolved. */
export const emptyDirectory: Directory = {
  groupMembers: async () => [],
  userEmail: async () => null,
  displayName: async (id) => id,
};

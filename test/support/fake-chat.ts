import { ChatError, isOutboxMetadata, outboxThrough, type Chat, type ChatMessage, type ChatUpload, type Directory } from '../../src/ports/chat.js';
import { validateBlocks } from '../../src/sandbox/block-kit.js';

/** Every message the bot sends in tests must pass the same Block Kit validation Slack applies. */
function assertValid(msg: ChatMessage): void {
  if (!msg.blocks) return;
  const r = validateBlocks(msg.blocks);
  if (!r.ok) throw new Error(`invalid_blocks: ${r.errors.join('; ')}`);
}

/** In-memory Chat port: records what the bot said, where, and in which thread. */
export class FakeChat implements Chat {
  posts: (ChatMessage & { ts: string })[] = [];
  updates: (ChatMessage & { ts: string })[] = [];
  ephemerals: (ChatMessage & { user: string })[] = [];
  created: string[] = [];
  uploads: (ChatUpload & { fileId: string })[] = [];
  failPosts = 0;
  failUploads = 0;
  /** How many times `findPosted` was asked. */
  lookups = 0;
  private n = 0;

  async post(msg: ChatMessage) {
    assertValid(msg);
    if (this.failPosts > 0) {
      this.failPosts--;
      throw new ChatError('unavailable', 'chat.postMessage: internal_error', { slackError: 'internal_error' });
    }
    const ts = `1700000000.${String(++this.n).padStart(6, '0')}`;
    this.posts.push({ ...msg, ts });
    return { channel: msg.channel, ts };
  }
  async update(msg: ChatMessage & { ts: string }) {
    assertValid(msg);
    this.updates.push(msg);
  }
  /** Like Slack: the thread's replies (or the channel's top level) whose metadata names the item. */
  async findPosted(channel: string, threadTs: string | undefined, outboxId: number) {
    this.lookups++;
    const found = this.posts.find((p) => p.channel === channel && p.threadTs === threadTs && isOutboxMetadata(p.metadata, outboxId));
    if (!found) return undefined;
    const through = outboxThrough(found.metadata, outboxId);
    return through > outboxId ? { ts: found.ts, throughId: through } : { ts: found.ts };
  }
  async postEphemeral(msg: ChatMessage & { user: string }) {
    assertValid(msg);
    this.ephemerals.push(msg);
  }
  async upload(file: ChatUpload) {
    if (this.failUploads > 0) {
      this.failUploads--;
      throw new ChatError('unavailable', 'files.uploadV2: internal_error', { slackError: 'internal_error' });
    }
    const fileId = `F${String(this.uploads.length + 1).padStart(6, '0')}`;
    this.uploads.push({ ...file, fileId });
    return { fileId };
  }
  async findUpload(channel: string, threadTs: string | undefined, title: string) {
    this.lookups++;
    const found = this.uploads.find((u) => u.channel === channel && u.threadTs === threadTs && u.title === title);
    return found ? { fileId: found.fileId } : undefined;
  }
  async ensureChannel(name: string, _members: readonly string[]) {
    this.created.push(name);
    return `C${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  }
  thread(ts: string) {
    return this.posts.filter((p) => p.threadTs === ts);
  }
}

export class FakeDirectory implements Directory {
  constructor(private readonly groups: Record<string, string[]> = {}) {}
  async userEmail(id: string) {
    return `${id.toLowerCase()}@example.com`;
  }
  /** U0ALICE → Alice: enough to tell a name from an id in assertions. */
  async displayName(id: string) {
    const bare = id.replace(/^U0?/, '');
    return bare ? bare[0]! + bare.slice(1).toLowerCase() : id;
  }
  async groupMembers(id: string) {
    const g = this.groups[id];
    if (!g) throw new Error('no_such_subteam');
    return g;
  }
}

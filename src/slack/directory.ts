import type { WebClient } from '@slack/web-api';
import type { Clock } from '../ports/clock.js';
import type { Directory } from '../ports/chat.js';

const TTL_MS = 60_000;
/** Names change rarely; an hour keeps a busy incident from calling users.info per message. */
const NAME_TTL_MS = 60 * 60_000;

/** User-group membership from `usergroups.users.list`, cached briefly: clicks come in bursts. */
export class SlackDirectory implements Directory {
  private readonly cache = new Map<string, { users: string[]; at: number }>();
  private readonly names = new Map<string, { name: string; at: number }>();

  constructor(private readonly client: WebClient, private readonly clock: Clock) {}

  async userEmail(userId: string): Promise<string | null> {
    const res = await this.client.users.info({ user: userId });
    return res.user?.profile?.email?.toLowerCase() ?? null;
  }

  async displayName(userId: string): Promise<string> {
    const now = this.clock.now().getTime();
    const hit = this.names.get(userId);
    if (hit && now - hit.at < NAME_TTL_MS) return hit.name;
    try {
      const res = await this.client.users.info({ user: userId });
      const p = res.user?.profile;
      const name = p?.display_name || p?.real_name || res.user?.real_name || res.user?.name || userId;
      this.names.set(userId, { name, at: now });
      return name;
    } catch {
      return hit?.name ?? userId;
    }
  }

  async groupMembers(groupId: string): Promise<string[]> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(groupId);
    if (hit && now - hit.at < TTL_MS) return hit.users;
    const res = await this.client.usergroups.users.list({ usergroup: groupId });
    const users = res.users ?? [];
    this.cache.set(groupId, { users, at: now });
    return users;
  }
}

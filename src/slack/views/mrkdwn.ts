import { utcMinute, type Said } from '../../domain/said.js';

/** What Backstop says, as Slack mrkdwn: mentions Slack resolves to names, emphasis, code. */
export function mrkdwn(s: Said): string {
  return s.map((p) => {
    if (typeof p === 'string') return p;
    if ('user' in p) return `<@${p.user}>`;
    if ('group' in p) return `<!subteam^${p.group}>`;
    if ('here' in p) return '<!here>';
    if ('strong' in p) return `*${p.strong}*`;
    if ('time' in p) return slackDate(p.time);
    return `\`${p.code}\``;
  }).join('');
}

/** A Slack date token: each reader sees the time in their own zone; the fallback is UTC. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `<!date^${Math.floor(ms / 1000)}^${format}|${utcMinute(iso)}>`;
}

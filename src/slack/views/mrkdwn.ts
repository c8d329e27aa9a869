import type { Said } from '../../domain/said.js';

/** What Backstop says, as Slack mrkdwn: mentions Slack resolves to names, emphasis, code. */
export function mrkdwn(s: Said): string {
  return s.map((p) => {
    if (typeof p === 'string') return p;
    if ('user' in p) return `<@${p.user}>`;
    if ('group' in p) return `<!subteam^${p.group}>`;
    if ('here' in p) return '<!here>';
    if ('strong' in p) return `*${p.strong}*`;
    return `\`${p.code}\``;
  }).join('');
}

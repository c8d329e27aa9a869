/** Parses the text after `/backstop`. Pure, so every form and mistake is unit-tested. */
export type Command =
  | { kind: 'help' }
  | { kind: 'status'; service?: string }
  | { kind: 'rollback'; service: string; reason: string }
  | { kind: 'history'; service: string }
  | { kind: 'resolve'; service: string | null }
  | { kind: 'policy'; service: string }
  | { kind: 'breakglass'; service: string; reason: string }
  | { kind: 'drill'; scenario: string };

export type Parsed = { ok: true; command: Command } | { ok: false; error: string };

export const USAGE = [
  '*Backstop commands*',
  '`/backstop status [service]`: open incidents and live rollback proposals; with a service, also a chart of its SLIs since its latest deploy (or the last hour)',
  '`/backstop rollback <service> <reason>`: propose rolling <service> back to its last known-good version',
  '`/backstop history <service>`: recent incidents and rollbacks of <service>',
  '`/backstop resolve [service]`: resolve the incident of this channel (or of <service>) and post the postmortem draft',
  '`/backstop policy <service>`: what Backstop will do for <service>, and why',
  '`/backstop breakglass <service> <reason>`: (admins) execute the pending rollback without the full quorum',
  '`/backstop drill <scenario>`: run a game-day drill now (announced in the drills channel)',
  '`/backstop help`: this text',
].join('\n');

export function parseCommand(text: string): Parsed {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [verb, ...rest] = words;
  switch ((verb ?? 'help').toLowerCase()) {
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'status':
      return { ok: true, command: rest[0] ? { kind: 'status', service: rest[0] } : { kind: 'status' } };
    case 'rollback': {
      const [service, ...reason] = rest;
      if (!service) return { ok: false, error: 'Usage: `/backstop rollback <service> <reason>`: name the service.' };
      if (reason.length === 0) return { ok: false, error: `Usage: \`/backstop rollback ${service} <reason>\`: say why, so approvers and the postmortem know.` };
      return { ok: true, command: { kind: 'rollback', service, reason: reason.join(' ') } };
    }
    case 'history': {
      const [service] = rest;
      if (!service) return { ok: false, error: 'Usage: `/backstop history <service>`.' };
      return { ok: true, command: { kind: 'history', service } };
    }
    case 'policy': {
      const [service] = rest;
      if (!service) return { ok: false, error: 'Usage: `/backstop policy <service>`.' };
      return { ok: true, command: { kind: 'policy', service } };
    }
    case 'breakglass': {
      const [service, ...reason] = rest;
      if (!service || reason.length === 0) return { ok: false, error: 'Usage: `/backstop breakglass <service> <reason>`: a written reason is required.' };
      return { ok: true, command: { kind: 'breakglass', service, reason: reason.join(' ') } };
    }
    case 'drill': {
      const [scenario] = rest;
      if (!scenario) return { ok: false, error: 'Usage: `/backstop drill <scenario>` (e.g. model-accuracy-drop).' };
      return { ok: true, command: { kind: 'drill', scenario } };
    }
    case 'resolve':
      return { ok: true, command: { kind: 'resolve', service: rest[0] ?? null } };
    default:
      return { ok: false, error: `Unknown command "${verb}".\n${USAGE}` };
  }
}

import { parseArgs } from 'node:util';
import { LocalRegistry, type RegistryResult } from '../adapters/local-registry/registry.js';
import type { Clock } from '../ports/clock.js';
import type { Db } from '../store/db.js';

export interface RegistryCliDeps {
  /** The database, or how to open it: opened only for a valid command, so help and typos touch no file. */
  db: Db | (() => Db);
  clock: Clock;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Who is typing, e.g. `cli:${process.env.USER ?? 'unknown'}`; the caller reads the env. */
  actor: string;
}

export const REGISTRY_USAGE = `usage: backstop registry <command> [args]

commands:
  register <model> <version> [--source URI]                   add a READY version
  promote <model> <version> [--alias production] [--reason text]
                                                              point an alias at a version
  mark-good <model> <version>                                 prefer it as a rollback target
  mark-bad <model> <version>                                  never roll back to it
  list <model>                                                versions, marks and aliases
  history <model> [--alias production]                        what the alias pointed at, when and why

Every command refuses a BACKSTOP_DB that does not exist (a typo must not seed a new file);
add --create to make it.`;

type OptionSpec = Record<string, { type: 'string' }>;

const COMMANDS: Record<string, { positionals: string[]; options: OptionSpec }> = {
  register: { positionals: ['model', 'version'], options: { source: { type: 'string' } } },
  promote: { positionals: ['model', 'version'], options: { alias: { type: 'string' }, reason: { type: 'string' } } },
  'mark-good': { positionals: ['model', 'version'], options: {} },
  'mark-bad': { positionals: ['model', 'version'], options: {} },
  list: { positionals: ['model'], options: {} },
  history: { positionals: ['model'], options: { alias: { type: 'string' } } },
};

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

class UsageError extends Error {}

function parse(command: string, argv: string[]): { pos: string[]; opts: Record<string, string | undefined> } {
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const pos = parsed.positionals;
  if (pos.length !== spec.positionals.length || pos.some((p) => p.trim() === '')) {
    throw new UsageError(`${command} takes ${spec.positionals.map((p) => `<${p}>`).join(' ')}`);
  }
  const opts: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${k} needs a value`);
    opts[k] = v;
  }
  return { pos, opts };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/**
 * `backstop registry ...` operator commands over the local registry. Accepts args with or
 * without the leading `registry`. Returns the exit code: 0 done, 1 refused, 2 bad usage.
 */
export function runRegistryCommand(args: string[], deps: RegistryCliDeps): number {
  const argv = args[0] === 'registry' ? args.slice(1) : args;
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? deps.err : deps.out)(REGISTRY_USAGE);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  let parsed;
  try {
    parsed = parse(command, rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    deps.err(`backstop registry: ${e.message}`);
    deps.err(REGISTRY_USAGE);
    return EXIT_USAGE;
  }
  const { pos, opts } = parsed;
  const model = pos[0] ?? '';
  const version = pos[1] ?? '';
  const registry = new LocalRegistry(typeof deps.db === 'function' ? deps.db() : deps.db, deps.clock);

  const report = <T>(result: RegistryResult<T>, render: (value: T) => string[]): number => {
    if (!result.ok) {
      deps.err(`backstop registry ${command}: ${result.message} (${result.code})`);
      return EXIT_FAILED;
    }
    for (const line of render(result.value)) deps.out(line);
    return EXIT_OK;
  };

  switch (command) {
    case 'register':
      return report(registry.register(model, version, { source: opts.source }), (v) => [
        `registered ${v.model} ${v.version} (${v.status})${v.source ? ` from ${v.source}` : ''}`,
      ]);
    case 'promote': {
      const alias = opts.alias ?? 'production';
      return report(registry.promote(model, version, { alias, actor: deps.actor, reason: opts.reason ?? 'promoted from the CLI' }), (p) => [
        p.changed
          ? `promoted ${model} ${p.to} to ${alias} (was ${p.from ?? 'unset'})`
          : `${alias} of ${model} already points at ${p.to}; nothing changed`,
      ]);
    }
    case 'mark-good':
    case 'mark-bad': {
      const result = command === 'mark-good' ? registry.markGood(model, version, deps.actor) : registry.markBad(model, version, deps.actor);
      return report(result, (m) => [`marked ${model} ${m.version} ${m.mark}`]);
    }
    case 'list':
      return report(registry.listVersions(model), (versions) =>
        table([
          ['VERSION', 'STATUS', 'MARK', 'ALIASES', 'CREATED', 'SOURCE'],
          ...versions.map((v) => [v.version, v.status, v.mark ?? '-', v.aliases.join(',') || '-', v.createdAt.toISOString(), v.source ?? '-']),
        ]),
      );
    case 'history': {
      const alias = opts.alias ?? 'production';
      return report(registry.history(model, alias), (entries) =>
        entries.length === 0
          ? [`alias ${alias} of ${model} has no history`]
          : table([
              ['#', 'AT', 'KIND', 'FROM', 'TO', 'ACTOR', 'REASON'],
              ...entries.map((h) => [
                String(h.seq),
                h.at.toISOString(),
                h.kind,
                h.from ?? '-',
                h.to,
                h.actor,
                `${h.reason || '-'}${h.idempotencyKey ? ` [key ${h.idempotencyKey}]` : ''}`,
              ]),
            ]),
      );
    }
    default:
      // parse() already refused unknown commands.
      throw new Error(`unhandled registry command ${command}`);
  }
}

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveFromRoot } from '../config/paths.js';
import { AtolyeError } from '../errors.js';
import { ownerOf } from '../orchestrator/api/access.js';
import type { RunsStore } from '../orchestrator/runs-store.js';
import type { ApiKeyInfo, ApiKeyStore } from '../store/api-keys.js';
import { loadCliConfig, type CliContext } from './context.js';
import { table } from './table.js';

/** What a key may see, said once where keys are made and listed (README "API keys" says more). */
const ACCESS_NOTE = [
  'A key sees the threads it creates; keys of one --team share theirs. Another key gets 404 for them.',
  "An --admin key sees every thread and the dashboard's system page and full logs.",
  'Threads from before keys had owners are shown to admin keys only (`atolye keys adopt NAME` gives them to a key).',
].join('\n');

export function registerKeysCommands(program: Command, cli: CliContext): void {
  const keys = program.command('keys').description('Manage the API keys of the run API');

  keys
    .command('create')
    .description('Issue a new API key and print it once')
    .requiredOption('--name <name>', 'a unique name: 1 to 64 of A-Z a-z 0-9 . _ -')
    .option('--team <team>', "a team whose keys share each other's threads (same characters)")
    .option('--admin', "sees every user's threads and the host's pages (system, all logs)")
    .option('--json', 'print JSON (with the key) for scripts')
    .action(async (options: { name: string; team?: string; admin?: boolean; json?: boolean }) => {
      const created = await withKeys(cli, (store) =>
        store.create(options.name, { team: options.team, admin: options.admin === true }),
      );
      if (options.json) {
        cli.output.out(JSON.stringify(created, null, 2));
        return;
      }
      const team = created.team === null ? 'no team' : `team "${created.team}"`;
      cli.output.out(
        [
          `created ${created.admin ? 'admin ' : ''}API key "${created.name}" (prefix ${created.prefix}, ${team})`,
          '',
          `  ${created.key}`,
          '',
          'Store it now: it will not be shown again (only its hash is kept).',
          ACCESS_NOTE,
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description(
      'List the API keys (names, teams, roles, prefixes, dates), never the keys themselves',
    )
    .option('--json', 'print JSON for scripts')
    .action(async (options: { json?: boolean }) => {
      const all = await withKeys(cli, (store) => store.list());
      if (options.json) {
        cli.output.out(JSON.stringify(all, null, 2));
        return;
      }
      if (all.length === 0) {
        cli.output.out('no API keys yet; create one with `atolye keys create --name NAME`');
        return;
      }
      cli.output.out(
        table(
          ['name', 'team', 'role', 'prefix', 'created', 'last used', 'status'],
          all.map(keyRow),
        ),
      );
      const unowned = (await withRuns(cli, (store) => store.unownedCount())) ?? 0;
      if (unowned > 0) {
        const admins = all.some((key) => key.admin && key.revokedAt === null);
        cli.output.out(
          `\n${unowned} thread(s) from before keys had owners are shown to admin keys only${admins ? '' : ' (there is no live admin key)'}; \`atolye keys adopt NAME\` gives them to one key.`,
        );
      }
    });

  keys
    .command('revoke')
    .description(
      'Revoke an API key by name; requests and open streams with it are refused from now on',
    )
    .argument('<name>', 'name of the key to revoke')
    .action(async (name: string) => {
      if (!(await withKeys(cli, (store) => store.revoke(name)))) {
        throw new AtolyeError(
          'KEY_NOT_FOUND',
          `no active API key is named "${name}"; see \`atolye keys list\``,
        );
      }
      cli.output.out(
        [
          `revoked API key "${name}"`,
          `Its threads stay where they were: with its team if it had one, else with the name "${name}" (a new key of that name sees them); admin keys see them always.`,
        ].join('\n'),
      );
    });

  keys
    .command('adopt')
    .description(
      'Give every thread from before keys had owners (until then shown to admin keys only) to a key, or to its team',
    )
    .argument('<name>', 'name of the live key that takes them')
    .action(async (name: string) => {
      const key = await withKeys(cli, async (store) =>
        (await store.list()).find((info) => info.name === name && info.revokedAt === null),
      );
      if (!key) {
        throw new AtolyeError(
          'KEY_NOT_FOUND',
          `no active API key is named "${name}"; see \`atolye keys list\``,
        );
      }
      const owner = ownerOf(key);
      const adopted = (await withRuns(cli, (store) => store.adoptUnowned(owner))) ?? 0;
      cli.output.out(
        `gave ${adopted} thread(s) without an owner to ${key.team === null ? `key "${name}"` : `team "${key.team}" (of key "${name}")`}`,
      );
    });
}

/**
 * Uses the API keys where the orchestrators keep them: the SQLite file in the data directory, or
 * the Postgres database of `storage.url`.
 */
async function withKeys<T>(cli: CliContext, use: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const config = await loadCliConfig(cli);
  const { openStorage } = await import('../store/storage.js');
  const { API_KEY_MIGRATIONS, ApiKeyStore, apiKeysFile } = await import('../store/api-keys.js');
  const storage = openStorage({ url: config.storage.url });
  try {
    const file = apiKeysFile(resolveFromRoot(config.storage.dataDir));
    return await use(new ApiKeyStore(await storage.open('api-keys', file, API_KEY_MIGRATIONS)));
  } finally {
    await storage.close();
  }
}

/** Uses the orchestrator's threads store; undefined when the orchestrator has never made one. */
async function withRuns<T>(
  cli: CliContext,
  use: (store: RunsStore) => Promise<T>,
): Promise<T | undefined> {
  const config = await loadCliConfig(cli);
  const { openStorage } = await import('../store/storage.js');
  const { MIGRATIONS } = await import('../orchestrator/run-records.js');
  const { RunsStore, runsFile } = await import('../orchestrator/runs-store.js');
  const file = runsFile(resolveFromRoot(config.storage.dataDir));
  if (config.storage.url === '' && !existsSync(file)) return undefined;
  const storage = openStorage({ url: config.storage.url });
  try {
    return await use(new RunsStore(await storage.open('runs', file, MIGRATIONS)));
  } finally {
    await storage.close();
  }
}
function keyRow(key: ApiKeyInfo): string[] {
  return [
    key.name,
    key.team ?? '-',
    key.admin ? 'admin' : 'user',
    `${key.prefix}…`,
    key.createdAt,
    key.lastUsedAt ?? 'never',
    key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`,
  ];
}

import type { Command } from 'commander';
import { loadConfig, resolveFromRoot } from '../config/index.js';
import { AtolyeError } from '../errors.js';
import { ApiKeyStore, apiKeysFile, type ApiKeyInfo } from '../store/api-keys.js';
import type { CliContext } from './context.js';
import { table } from './table.js';

export function registerKeysCommands(program: Command, cli: CliContext): void {
  const keys = program.command('keys').description('Manage the API keys of the run API');

  keys
    .command('create')
    .description('Issue a new API key and print it once')
    .requiredOption('--name <name>', 'a unique name: 1 to 64 of A-Z a-z 0-9 . _ -')
    .option('--json', 'print JSON (with the key) for scripts')
    .action((options: { name: string; json?: boolean }) => {
      const created = withStore(cli, (store) => store.create(options.name));
      if (options.json) {
        cli.output.out(JSON.stringify(created, null, 2));
        return;
      }
      cli.output.out(
        [
          `created API key "${created.name}" (prefix ${created.prefix})`,
          '',
          `  ${created.key}`,
          '',
          'Store it now: it will not be shown again (only its hash is kept).',
        ].join('\n'),
      );
    });

  keys
    .command('list')
    .description('List the API keys (names, prefixes, dates), never the keys themselves')
    .option('--json', 'print JSON for scripts')
    .action((options: { json?: boolean }) => {
      const all = withStore(cli, (store) => store.list());
      if (options.json) {
        cli.output.out(JSON.stringify(all, null, 2));
        return;
      }
      if (all.length === 0) {
        cli.output.out('no API keys yet; create one with `atolye keys create --name NAME`');
        return;
      }
      cli.output.out(table(['name', 'prefix', 'created', 'last used', 'status'], all.map(keyRow)));
    });

  keys
    .command('revoke')
    .description('Revoke an API key by name; requests with it are refused from now on')
    .argument('<name>', 'name of the key to revoke')
    .action((name: string) => {
      if (!withStore(cli, (store) => store.revoke(name))) {
        throw new AtolyeError(
          'KEY_NOT_FOUND',
          `no active API key is named "${name}"; see \`atolye keys list\``,
        );
      }
      cli.output.out(`revoked API key "${name}"`);
    });
}

function withStore<T>(cli: CliContext, use: (store: ApiKeyStore) => T): T {
  const { config } = loadConfig({ overrides: cli.overrides() });
  const store = new ApiKeyStore(apiKeysFile(resolveFromRoot(config.storage.dataDir)));
  try {
    return use(store);
  } finally {
    store.close();
  }
}

function keyRow(key: ApiKeyInfo): string[] {
  return [
    key.name,
    `${key.prefix}…`,
    key.createdAt,
    key.lastUsedAt ?? 'never',
    key.revokedAt === null ? 'active' : `revoked ${key.revokedAt}`,
  ];
}

import type { Command } from 'commander';
import { loadCliConfig, type CliContext } from './context.js';

export function registerMigrateCommand(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description(
      "Bring the stores' schemas up to date on the configured storage (storage.url) and exit; orchestrators do it at start too, so this is for a rollout that wants it done first",
    )
    .action(async () => {
      const config = await loadCliConfig(cli);
      const { migrateStores } = await import('../orchestrator/migrate.js');
      const stores = await migrateStores(config);
      cli.output.out(`schemas up to date: ${stores.join(', ')}`);
    });
}

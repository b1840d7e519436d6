import type { Command } from 'commander';
import { loadCliConfig, type CliContext } from './context.js';

export function registerConfigCommands(program: Command, cli: CliContext): void {
  const config = program
    .command('config')
    .description('Inspect and check the layered configuration');

  config
    .command('show')
    .description('Print the effective configuration as JSON, every secret masked')
    .option('--env <env>', 'environment to load (development, production, testing)')
    .option('--sources', 'print where each value came from instead of the values')
    .action(async (options: { env?: string; sources?: boolean }) => {
      const { loadConfig, maskConfig } = await import('../config/index.js');
      const loaded = loadConfig({ env: options.env, overrides: cli.overrides() });
      if (options.sources) {
        const sources = Object.fromEntries(
          flatKeys(loaded.config).map((key) => [key, loaded.sourceOf(key)]),
        );
        cli.output.out(JSON.stringify(sources, null, 2));
        return;
      }
      cli.output.out(JSON.stringify(maskConfig(loaded.config), null, 2));
    });

  config
    .command('validate')
    .description('Exit non-zero with every problem when the configuration would not start (for CI)')
    .option('--env <env>', 'environment to validate')
    .action(async (options: { env?: string }) => {
      const effective = await loadCliConfig(cli, options.env);
      cli.output.out(`configuration for "${effective.env}" is valid`);
    });
}

function flatKeys(node: object, prefix = ''): string[] {
  return Object.entries(node).flatMap(([name, value]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? flatKeys(value as object, key)
      : [key];
  });
}

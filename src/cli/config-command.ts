import type { Command } from 'commander';
import { loadCliConfig, type CliContext } from './context.js';

export function registerConfigCommands(program: Command, cli: CliContext): void {
  const config = program
    .command('config')
    .description('Inspect and check the layered configuration');

  config
    .command('show')
    .description(
      'Print the effective configuration as JSON, every secret masked, and any production secret still to set',
    )
    .option('--env <env>', 'environment to load (development, production, testing)')
    .option('--sources', 'print where each value came from instead of the values')
    .action(async (options: { env?: string; sources?: boolean }) => {
      const { loadConfig, maskConfig } = await import('../config/index.js');
      // Missing production secrets are when a user most needs to look: show the configuration
      // and list them; `config validate` is the command that fails on them.
      const loaded = loadConfig({
        env: options.env,
        environ: cli.env,
        overrides: cli.overrides(),
        checkProductionSecrets: false,
      });
      if (options.sources) {
        const sources = Object.fromEntries(
          flatKeys(loaded.config).map((key) => [key, loaded.sourceOf(key)]),
        );
        cli.output.out(JSON.stringify(sources, null, 2));
      } else {
        cli.output.out(JSON.stringify(maskConfig(loaded.config), null, 2));
      }
      const problems = loaded.secretProblems();
      if (problems.length > 0) cli.output.err(secretsToSet(problems));
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

/** On stderr, so stdout stays the JSON a script can parse. */
function secretsToSet(problems: string[]): string {
  return [
    'atolye: production would refuse to start: required secrets are missing or still development values:',
    ...problems.map((problem) => `  - ${problem}`),
    'Generate each with `openssl rand -hex 32`; `npx atolye config validate --env production` exits 1 until all are set.',
  ].join('\n');
}

function flatKeys(node: object, prefix = ''): string[] {
  return Object.entries(node).flatMap(([name, value]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? flatKeys(value as object, key)
      : [key];
  });
}

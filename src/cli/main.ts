import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AtolyeError } from '../errors.js';
import { registerBuildCommand } from './build-command.js';
import { registerConfigCommands } from './config-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerHostCommands } from './host-commands.js';
import { registerKeysCommands } from './keys-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOrchestratorCommand } from './orchestrator-command.js';
import { registerOpsCommands } from './ops-commands.js';
import { registerMockLlmCommand } from './mock-llm-command.js';
import { registerRunCommands } from './run-commands.js';
import { registerWorkspaceCommands } from './workspace-commands.js';
import type { CliContext } from './context.js';
import { processOutput, type Output } from './output.js';

/** Where a command line prints, and the environment it reads. */
export interface CliIo {
  /** The process's stdout and stderr by default. */
  output?: Output;
  /** The process's environment by default: a test passes its own instead of changing it. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the `atolye` command line and resolves to its exit status. It never calls process.exit,
 * so tests drive it in-process and a long-running command keeps its process alive by itself.
 */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const output = io.output ?? processOutput;
  const program = new Command('atolye')
    .description('Atölye Şefi — a self-hostable AI coding agent delivered as serverless functions')
    .addOption(
      new Option('-s, --set <key=value>', 'override one configuration key (repeatable)')
        .argParser(collectSetting)
        .default({}),
    )
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError();

  const cli: CliContext = {
    output,
    env: io.env ?? process.env,
    overrides: () => program.opts<{ set: Record<string, string> }>().set,
  };
  registerConfigCommands(program, cli);
  registerBuildCommand(program, cli);
  registerHostCommands(program, cli);
  registerKeysCommands(program, cli);
  registerMigrateCommand(program, cli);
  registerOrchestratorCommand(program, cli);
  registerMockLlmCommand(program, cli);
  registerRunCommands(program, cli);
  registerWorkspaceCommands(program, cli);
  registerDemoCommand(program, cli);
  registerOpsCommands(program, cli);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the problem already; usage errors exit 2 like other CLIs.
      return error.exitCode === 1 ? 2 : error.exitCode;
    }
    if (error instanceof AtolyeError) {
      output.err(`atolye: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

function collectSetting(value: string, previous: Record<string, string>): Record<string, string> {
  const separator = value.indexOf('=');
  if (separator <= 0) {
    throw new InvalidArgumentError(`--set takes key=value, got "${value}"`);
  }
  return { ...previous, [value.slice(0, separator)]: value.slice(separator + 1) };
}

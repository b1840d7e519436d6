import path from 'node:path';
import type { Command } from 'commander';
import type { FileChange } from '../client/index.js';
import type { CliContext } from './context.js';
import { colourDiff } from './diff-colours.js';
import { processOutput } from './output.js';

/** `atolye diff` and `atolye apply`: a thread's changes, shown or taken back into a local folder. */
export function registerWorkspaceCommands(program: Command, cli: CliContext): void {
  program
    .command('diff')
    .description("Show a thread's changes as a unified diff against what it started from")
    .argument('<thread>', 'the thread id')
    .option('--run <id>', "only this run's changes")
    .action(async (threadId: string, options: { run?: string }) => {
      const { connect } = await import('./api-client.js');
      const { fetchDiff } = await import('../client/workspace-api.js');
      const api = await connect(cli);
      const diff = await fetchDiff(api, threadId, options.run);
      if (diff.trim() === '') {
        cli.output.out(
          options.run === undefined
            ? `no changes in thread ${threadId}`
            : `no changes in run ${options.run}`,
        );
        return;
      }
      cli.output.out(colourWanted(cli) ? colourDiff(diff) : diff);
    });

  program
    .command('apply')
    .description("Apply a thread's changes to a local folder: all of them or, on a conflict, none")
    .argument('<thread>', 'the thread id')
    .option('--dir <path>', 'the folder to change (default: the current folder)')
    .action(async (threadId: string, options: { dir?: string }) => {
      const folder = path.resolve(options.dir ?? process.cwd());
      const { connect } = await import('./api-client.js');
      const { fetchPatch } = await import('../client/workspace-api.js');
      const { applyPatch } = await import('../client/apply.js');
      const api = await connect(cli);
      const { changes } = await applyPatch(folder, await fetchPatch(api, threadId));
      if (changes.length === 0) {
        cli.output.out(`thread ${threadId} has no changes to apply`);
        return;
      }
      cli.output.out(
        [
          `applied ${changes.length === 1 ? '1 change' : `${changes.length} changes`} from thread ${threadId} to ${folder}:`,
          ...changes.map(describeChange),
        ].join('\n'),
      );
    });
}

function describeChange(change: FileChange): string {
  const name = change.from === undefined ? change.path : `${change.from} → ${change.path}`;
  return `  ${change.change.padEnd(8)}  ${name}`;
}

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
function colourWanted(cli: CliContext): boolean {
  return cli.output === processOutput && process.stdout.isTTY === true && !cli.env.NO_COLOR;
}

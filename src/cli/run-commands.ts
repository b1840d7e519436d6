import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from './context.js';
import type { FilesOptions, RunOptions, RunsOptions } from './run-actions.js';

/**
 * `atolye run`, `runs` and `files`: clients of the run API. What they do is in run-actions.ts,
 * loaded when one of them runs (the SDK and the schemas are not for `--help`).
 */

export function registerRunCommands(program: Command, cli: CliContext): void {
  program
    .command('run')
    .description('Run a task on the agent through the run API and follow its progress')
    .argument('<task>', 'what the agent should do')
    .option('--thread <id>', 'continue this thread (an unknown id is refused: see `atolye runs`)')
    .option('--create', 'with --thread: create the thread when it does not exist')
    .option('--dir [path]', 'start a new thread from this folder (default: the current one)')
    .option(
      '--include <file>',
      'with --dir: also send this .env* or gitignored file (repeatable)',
      collect,
    )
    .option('--repo <url>', 'start a new thread from a clone of this git repository')
    .option('--ref <ref>', 'with --repo: the branch, tag or commit to clone')
    .option('--json', 'print one JSON object (run record, files, summary) for scripts')
    .action(async (task: string, options: RunOptions) => {
      const { runTask } = await import('./run-actions.js');
      await runTask(cli, task, options);
    });

  program
    .command('runs')
    .description("List runs: one thread's, or those of the most recently active threads")
    .option('--thread <id>', 'only the runs of this thread')
    .option('--limit <n>', 'at most this many runs', parseLimit, 20)
    .option('--json', 'print JSON for scripts')
    .action(async (options: RunsOptions) => {
      const { listRuns } = await import('./run-actions.js');
      await listRuns(cli, options);
    });

  program
    .command('files')
    .description("Show a thread's workspace: the tree, one file, or the whole as tar.gz")
    .argument('<thread>', 'the thread id')
    .argument('[path]', 'a file in the workspace: print its content')
    .option('--out <file>', 'save the file to FILE instead of printing it')
    .option('--archive <file>', 'save the whole workspace to FILE as tar.gz')
    .option('--json', 'print the tree as JSON for scripts')
    .action(async (threadId: string, filePath: string | undefined, options: FilesOptions) => {
      const { showFiles } = await import('./run-actions.js');
      await showFiles(cli, threadId, filePath, options);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidArgumentError('use a whole number from 1 to 1000');
  }
  return limit;
}

import { InvalidArgumentError, Option, type Command } from 'commander';
import { APPROVAL_POLICIES } from '../config/approval.js';
import type { ApproveOptions, RejectOptions } from './approval-actions.js';
import type { CliContext } from './context.js';
import type { FilesOptions, RunOptions, RunsOptions } from './run-actions.js';

/**
 * `atolye run`, `approve`, `reject`, `runs` and `files`: clients of the run API. What they do is
 * in run-actions.ts and approval-actions.ts, loaded when one of them runs (the SDK and the schemas
 * are not for `--help`).
 */

/** Exit statuses; run-session.ts defines 3 and 4 (EXIT_WAITS_FOR_APPROVAL, EXIT_PAUSED_AT_BREAKPOINT). */
const EXIT_CODES = `
Exit status:
  0  the run succeeded
  1  the run failed, or the request did
  2  a usage error
  3  the thread waits for approval: answer with \`npx atolye approve THREAD\` or \`npx atolye reject THREAD --reason "WHY"\`
  4  the thread is paused at a breakpoint: go on with \`npx atolye run --thread THREAD --continue\``;

const RUN_HELP = `
Approval: when the run holds tool calls for your yes (see --approval and the server's
agent.approval), a terminal shows them and asks once for all: y runs them, n (or Enter) runs
none and asks why (the agent reads it). The prompt cannot change a call's arguments: press
Ctrl-C (the thread keeps waiting) and answer with \`npx atolye approve THREAD --edit ID=JSON\`.
Without a terminal, or with --json, the command stops, prints the held calls and the commands
that answer them, and exits 3. --yes and --no answer every pause without asking.
${EXIT_CODES}`;

const ANSWER_HELP = `
The answer starts a run that goes on from the pause; it is followed like \`atolye run\`'s.
${EXIT_CODES}`;

export function registerRunCommands(program: Command, cli: CliContext): void {
  program
    .command('run')
    .description('Run a task on the agent through the run API and follow its progress')
    .argument('[task]', 'what the agent should do (none with --continue)')
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
    .addOption(
      new Option(
        '--approval <policy>',
        "which tool calls wait for your yes: risky ones (the risk rules) or always all; may only be stricter than the server's agent.approval",
      ).choices(APPROVAL_POLICIES),
    )
    .addOption(new Option('--yes', 'approve every tool call the run holds, without asking'))
    .addOption(
      new Option(
        '--no',
        'reject every tool call the run holds (reason "rejected with --no")',
      ).conflicts('yes'),
    )
    .addOption(
      new Option(
        '--continue',
        'with --thread: go on from the breakpoint the thread is paused at (no task)',
      ).conflicts(['dir', 'repo', 'create']),
    )
    .option(
      '--pause-before <steps>',
      'pause before these steps (comma-separated: plan, act, tools, review, finalize)',
      list,
    )
    .option('--pause-after <steps>', 'pause after these steps', list)
    .option('--json', 'print one JSON object (run record, files, summary) for scripts')
    .addHelpText('after', RUN_HELP)
    .action(async (task: string | undefined, options: RunOptions, command: Command) => {
      if (options.continue === true) {
        if (task !== undefined) command.error('error: give either a task or --continue, not both');
        if (options.thread === undefined) command.error('error: --continue needs --thread <id>');
      } else if (task === undefined) {
        command.error("error: missing required argument 'task' (or --thread <id> --continue)");
      }
      const { runTask } = await import('./run-actions.js');
      await runTask(cli, task, options);
    });

  program
    .command('approve')
    .description('Approve the tool calls a paused thread holds, and follow the run that goes on')
    .argument('<thread>', 'the thread id')
    .option(
      '--edit <id=json>',
      'run held call ID with these arguments instead, e.g. --edit call-1=\'{"path":"b.txt"}\' (repeatable)',
      collectEdit,
    )
    .option('--json', 'print one JSON object (run record, files, summary) for scripts')
    .addHelpText('after', ANSWER_HELP)
    .action(async (threadId: string, options: ApproveOptions) => {
      const { approveThread } = await import('./approval-actions.js');
      await approveThread(cli, threadId, options);
    });

  program
    .command('reject')
    .description('Reject the tool calls a paused thread holds (none runs), and follow the run')
    .argument('<thread>', 'the thread id')
    .option('--reason <text>', "why not: the agent reads it instead of the calls' results")
    .option('--json', 'print one JSON object (run record, files, summary) for scripts')
    .addHelpText('after', ANSWER_HELP)
    .action(async (threadId: string, options: RejectOptions) => {
      const { rejectThread } = await import('./approval-actions.js');
      await rejectThread(cli, threadId, options);
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

function list(value: string): string[] {
  return value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

/** `--edit ID=JSON`: new arguments for one held call; the JSON must be an object. */
function collectEdit(
  value: string,
  previous: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const separator = value.indexOf('=');
  const usage = `use ID=JSON with the call's new arguments as an object, e.g. call-1='{"path":"b.txt"}'`;
  if (separator <= 0) throw new InvalidArgumentError(usage);
  let args: unknown;
  try {
    args = JSON.parse(value.slice(separator + 1));
  } catch (error) {
    throw new InvalidArgumentError(`${usage} (${(error as Error).message})`);
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new InvalidArgumentError(usage);
  }
  return { ...previous, [value.slice(0, separator)]: args };
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new InvalidArgumentError('use a whole number from 1 to 1000');
  }
  return limit;
}

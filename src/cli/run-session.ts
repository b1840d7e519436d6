import { CommanderError } from 'commander';
import type * as z from 'zod';
import {
  describeCall,
  describeHeldCalls,
  pauseOf,
  plural,
  type ApprovalAnswer,
  type HeldCall,
  type Pause,
} from '../client/approval.js';
import { followRun, type RunControls, type RunStart } from '../client/follow-run.js';
import { AtolyeError } from '../errors.js';
import { Run } from '../orchestrator/api/schemas.js';
import { call, parseReply, type Api } from './api-client.js';
import { askApproval, type PromptStreams } from './approval-prompt.js';
import type { CliContext } from './context.js';
import { processOutput } from './output.js';
import { describeFailure } from '../client/step-failure.js';
import { describeEnd, RunProgress, Spinner } from './run-progress.js';

/**
 * The runs one command starts on a thread: each is followed to its end, and when one pauses for
 * approval the answer (--yes, --no, or the person at the terminal) starts the next. A pause nobody
 * answers here ends the command with an exit code of its own and the commands that answer later.
 */

type Run = z.infer<typeof Run>;

/** `atolye run` (and `approve`, `reject`) exit with these when the thread is left paused. */
export const EXIT_WAITS_FOR_APPROVAL = 3;
export const EXIT_PAUSED_AT_BREAKPOINT = 4;

export interface Session {
  cli: CliContext;
  api: Api;
  progress: RunProgress;
  spinner?: Spinner;
  /** How held calls are answered: `yes`/`no` by flag, `ask` at the terminal, `stop` leaves them. */
  answer: 'yes' | 'no' | 'ask' | 'stop';
  /** Where `ask` asks: the terminal (stdin, stderr). */
  prompt: PromptStreams;
  controls: RunControls;
}

/** How the command's runs ended: the last run, what it waits for, and every run's id. */
export interface Outcome {
  run: Run;
  pause: Pause | undefined;
  runIds: string[];
  usage: Run['usage'];
}

/** Why a run that paused stopped; a cancelled run also leaves steps to run, but waits for nothing. */
const PAUSE_REASONS = new Set(['approval', 'interrupt_before', 'interrupt_after']);

/** The reason sent with --no. */
export const NO_FLAG_REASON = 'rejected with --no';

/** How held calls will be answered when nothing on the command line says. */
function defaultAnswer(cli: CliContext, json: boolean | undefined): Session['answer'] {
  const terminal = cli.output === processOutput && process.stdin.isTTY && process.stderr.isTTY;
  return terminal && json !== true ? 'ask' : 'stop';
}

/** The progress lines, the spinner on a terminal, and how held calls get their answer. */
export function startSession(
  cli: CliContext,
  api: Api,
  options: { json?: boolean; yes?: boolean; no?: boolean },
): Session {
  const quiet = options.json === true;
  const spinner =
    !quiet && cli.output === processOutput && process.stderr.isTTY
      ? new Spinner(process.stderr, 'working…')
      : undefined;
  const progress = new RunProgress(cli.output, { quiet, spinner });
  spinner?.start();
  const answer = options.yes ? 'yes' : options.no ? 'no' : defaultAnswer(cli, options.json);
  const prompt = { input: process.stdin, output: process.stderr };
  return { cli, api, progress, spinner, answer, prompt, controls: {} };
}

/** Starts a run from `start` and every run an answer starts after it, to the last one's end. */
export async function drive(session: Session, threadId: string, start: RunStart): Promise<Outcome> {
  const { api, progress } = session;
  const runIds: string[] = [];
  const usage = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
  for (let next = start; ;) {
    progress.nextRun();
    const runId = await startRun(session, threadId, next);
    runIds.push(runId);
    const run = parseReply(api, Run, await call(api, () => api.client.runs.get(threadId, runId)));
    usage.input_tokens += run.usage.input_tokens;
    usage.output_tokens += run.usage.output_tokens;
    usage.cost_usd += run.usage.cost_usd;
    const pause = PAUSE_REASONS.has(run.stop_reason ?? '')
      ? await pauseOf(api, threadId)
      : undefined;
    if (pause?.kind !== 'approval') return { run, pause, runIds, usage };
    const answer = await answerHeld(session, threadId, pause.calls);
    if (answer === undefined) return { run, pause, runIds, usage };
    next = { resume: answer };
  }
}

async function startRun(session: Session, threadId: string, start: RunStart): Promise<string> {
  const { api, progress, controls } = session;
  try {
    return await followRun(api, threadId, start, progress, controls);
  } catch (error) {
    if (!(error instanceof AtolyeError)) throw error;
    if (error.code === 'THREAD_INTERRUPTED') {
      // The API words it in its request fields; the person needs the commands that answer.
      const pause = await pauseOf(api, threadId);
      if (pause) throw pausedFirst(threadId, pause, error);
    }
    if (error.code === 'THREAD_NOT_INTERRUPTED' && 'resume' in start) {
      throw new AtolyeError(
        'THREAD_NOT_WAITING',
        `thread ${threadId} no longer waits for approval: it was answered elsewhere, or the wait timed out (agent.approvalTimeoutMs); see \`npx atolye runs --thread ${threadId}\``,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The refusal of a new task or a `--continue` on a thread that waits for something else first. */
export function pausedFirst(threadId: string, pause: Pause, cause?: unknown): AtolyeError {
  const message =
    pause.kind === 'approval'
      ? `thread ${threadId} waits for approval of ${plural(pause.calls.length, 'tool call')} (${pause.calls.map(describeCall).join('; ')}) first: ${answerCommands(threadId)}`
      : `thread ${threadId} is paused before ${pause.next.join(', ')} first: go on with \`${continueCommand(threadId)}\``;
  return new AtolyeError('THREAD_PAUSED', message, { cause });
}

async function answerHeld(
  session: Session,
  threadId: string,
  calls: HeldCall[],
): Promise<ApprovalAnswer | undefined> {
  const { progress, spinner } = session;
  const count = plural(calls.length, 'tool call');
  if (session.answer === 'yes') {
    progress.print(`approved ${count} (--yes): ${calls.map(describeCall).join('; ')}`);
    return { approved: true };
  }
  if (session.answer === 'no') {
    progress.print(`rejected ${count} (--no): ${calls.map(describeCall).join('; ')}`);
    return { approved: false, reason: NO_FLAG_REASON };
  }
  if (session.answer === 'stop') return undefined;
  progress.print('');
  progress.print(`waiting for approval: ${count}`);
  for (const line of describeHeldCalls(calls)) progress.print(line);
  spinner?.stop();
  session.prompt.output.write(
    `(Ctrl-C leaves it waiting, to answer later with \`npx atolye approve ${threadId}\` or \`npx atolye reject ${threadId}\`)\n`,
  );
  const answer = await askApproval(calls, session.prompt);
  if (answer !== undefined) {
    progress.print(
      answer.approved ? `approved ${count}` : `rejected ${count}: ${answer.reason ?? ''}`,
    );
    spinner?.start();
  }
  return answer;
}

/**
 * The end of the report and the exit: 0 for success, 1 for a failed run, 3 and 4 for a thread
 * left paused (each printing the commands that go on).
 */
export function finish(
  session: Pick<Session, 'cli' | 'progress'>,
  outcome: Outcome,
  options: { json?: boolean; extra?: Record<string, unknown>; afterEnd?: string },
): void {
  const { cli, progress } = session;
  const { run, pause } = outcome;
  const threadId = run.thread_id;
  const files = progress.filesChanged;
  const summary = run.summary ?? stringOrNull(progress.values?.summary);
  if (options.json) {
    cli.output.out(
      JSON.stringify(
        {
          ...run,
          files,
          summary,
          runs: outcome.runIds,
          ...options.extra,
          ...(pause ? { paused: pausedJson(threadId, pause) } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    cli.output.out(
      describeEnd({ ...run, usage: outcome.usage }, files, summary, progress.elapsedMs),
    );
    if (options.afterEnd) cli.output.out(options.afterEnd);
    if (pause) cli.output.out(['', ...describePause(threadId, pause)].join('\n'));
  }
  if (pause?.kind === 'approval') {
    exitWith(
      cli,
      EXIT_WAITS_FOR_APPROVAL,
      `run ${run.run_id} paused: thread ${threadId} waits for approval of ${plural(pause.calls.length, 'tool call')}; ${answerCommands(threadId)}`,
    );
  }
  if (pause?.kind === 'breakpoint') {
    exitWith(
      cli,
      EXIT_PAUSED_AT_BREAKPOINT,
      `run ${run.run_id} paused before ${pause.next.join(', ')} at a breakpoint; go on with \`${continueCommand(threadId)}\``,
    );
  }
  if (run.status !== 'success') {
    const reason = run.error ? describeFailure(run.error) : progress.error;
    throw new AtolyeError(
      'RUN_FAILED',
      `run ${run.run_id} ended with status ${run.status}${run.stop_reason ? ` (${run.stop_reason})` : ''}${reason ? `: ${reason}` : ''}`,
    );
  }
}

function describePause(threadId: string, pause: Pause): string[] {
  if (pause.kind === 'breakpoint') {
    return [
      `paused before ${pause.next.join(', ')} (a breakpoint)`,
      `go on: ${continueCommand(threadId)}`,
    ];
  }
  const id = pause.calls[0]?.id ?? 'ID';
  const answers: [string, string][] = [
    [`npx atolye approve ${threadId}`, 'run them as proposed'],
    [`npx atolye approve ${threadId} --edit ${id}='JSON'`, `run them, ${id} with arguments JSON`],
    [`npx atolye reject ${threadId} --reason "WHY"`, 'run none; the agent reads WHY'],
  ];
  const width = Math.max(...answers.map(([command]) => command.length));
  return [
    `waiting for approval: ${plural(pause.calls.length, 'tool call')}`,
    ...describeHeldCalls(pause.calls),
    'answer with one of:',
    ...answers.map(([command, what]) => `  ${command.padEnd(width)}  ${what}`),
  ];
}

function pausedJson(threadId: string, pause: Pause): Record<string, unknown> {
  return pause.kind === 'approval'
    ? {
        reason: 'approval',
        tool_calls: pause.calls,
        approve: `npx atolye approve ${threadId}`,
        reject: `npx atolye reject ${threadId} --reason "WHY"`,
      }
    : { reason: 'breakpoint', next: pause.next, continue: continueCommand(threadId) };
}

function answerCommands(threadId: string): string {
  return `answer with \`npx atolye approve ${threadId}\` or \`npx atolye reject ${threadId} --reason "WHY"\``;
}

export function continueCommand(threadId: string): string {
  return `npx atolye run --thread ${threadId} --continue`;
}

/**
 * Ends the command with `code`: main() turns a CommanderError into its exit code (Commander's own
 * way to exit with a status), having printed the message itself.
 */
function exitWith(cli: CliContext, code: number, message: string): never {
  cli.output.err(`atolye: ${message}`);
  throw new CommanderError(code, 'atolye.paused', message);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

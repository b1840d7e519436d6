import { describeCall, pauseOf, plural, type ApprovalAnswer } from '../client/approval.js';
import { AtolyeError } from '../errors.js';
import { connect } from './api-client.js';
import type { CliContext } from './context.js';
import { continueCommand, drive, finish, startSession, type Outcome } from './run-session.js';

/**
 * `atolye approve` and `atolye reject`: the answer to the tool calls a paused thread holds, given
 * later (from a script, or after `atolye run` stopped without a terminal). The answer starts a run
 * that is followed like `atolye run`'s, through any pause after it.
 */

export interface ApproveOptions {
  /** New arguments per held call id, from `--edit ID=JSON`. */
  edit?: Record<string, unknown>;
  json?: boolean;
}

export interface RejectOptions {
  reason?: string;
  json?: boolean;
}

/** The reason sent when `atolye reject` is given none. */
export const REJECT_DEFAULT_REASON = 'rejected with `atolye reject`';

export async function approveThread(
  cli: CliContext,
  threadId: string,
  options: ApproveOptions,
): Promise<void> {
  const edits = options.edit ?? {};
  await answerThread(cli, threadId, options, (calls) => {
    const unknown = Object.keys(edits).filter((id) => !calls.some((held) => held.id === id));
    if (unknown.length > 0) {
      throw new AtolyeError(
        'RUN_INVALID',
        `--edit ${unknown.join(', ')}: thread ${threadId} holds no call with that id; it holds ${calls.map((held) => `${held.id} (${describeCall(held)})`).join(', ')}`,
      );
    }
    return Object.keys(edits).length > 0 ? { approved: true, edits } : { approved: true };
  });
}

export async function rejectThread(
  cli: CliContext,
  threadId: string,
  options: RejectOptions,
): Promise<void> {
  const reason = options.reason?.trim() || REJECT_DEFAULT_REASON;
  await answerThread(cli, threadId, options, () => ({ approved: false, reason }));
}

async function answerThread(
  cli: CliContext,
  threadId: string,
  options: { json?: boolean },
  answerFor: (calls: { id: string; name: string; args: unknown }[]) => ApprovalAnswer,
): Promise<void> {
  const api = await connect(cli);
  const pause = await pauseOf(api, threadId);
  if (pause?.kind !== 'approval') {
    throw new AtolyeError(
      'THREAD_NOT_WAITING',
      pause === undefined
        ? `thread ${threadId} waits for no approval: nothing to answer; see its runs with \`npx atolye runs --thread ${threadId}\``
        : `thread ${threadId} waits for no approval: it is paused before ${pause.next.join(', ')}; go on with \`${continueCommand(threadId)}\``,
    );
  }
  const answer = answerFor(pause.calls);
  const session = startSession(cli, api, { json: options.json });
  let outcome: Outcome;
  try {
    session.progress.print(`thread ${threadId}`);
    const count = plural(pause.calls.length, 'tool call');
    const calls = pause.calls.map(describeCall).join('; ');
    session.progress.print(
      answer.approved
        ? `approved ${count}: ${calls}`
        : `rejected ${count}: ${calls} (reason: ${answer.reason ?? ''})`,
    );
    outcome = await drive(session, threadId, { resume: answer });
  } finally {
    session.spinner?.stop();
  }
  finish(session, outcome, { json: options.json });
}

import type { ApprovalAnswer } from '../agent/approval/resume.js';
import type { ApprovalPolicy } from '../config/approval.js';
import { AtolyeError } from '../errors.js';
import { apiFailure, httpStatus, type Api } from './run-api.js';

/**
 * Starts a run on a thread through the SDK's stream and follows it to its end, re-attaching after
 * the last event seen when the stream drops (the SDK's own reconnects having given up). What the
 * events mean is the follower's business: the CLI prints lines, the extension also moves its
 * status bar.
 */

export interface StreamPart {
  event: string;
  data: unknown;
  id?: string;
}

export interface RunFollower {
  event(part: StreamPart): void;
  /** From the stream's `metadata` event. */
  readonly runId: string | undefined;
  /** True once `end` arrived. */
  readonly ended: boolean;
  /** The id of the last event seen, to re-attach after it. */
  readonly lastEventId: string | undefined;
}

/**
 * What a run starts from: a new task, a person's answer to the tool calls a paused thread holds,
 * or going on from a breakpoint.
 */
export type RunStart = { task: string } | { resume: ApprovalAnswer } | { continue: true };

/** How the run is driven: its approval policy (only ever stricter than the server's) and breakpoints. */
export interface RunControls {
  approval?: ApprovalPolicy;
  /** Steps to pause before (plan, act, tools, review, finalize). */
  pauseBefore?: string[];
  /** Steps to pause after. */
  pauseAfter?: string[];
}

export const ASSISTANT_ID = 'atolye';
const STREAM_MODES: ('updates' | 'values')[] = ['updates', 'values'];
/** Re-attachments after the SDK's own reconnects have given up on a dropped stream. */
const REATTACH_ATTEMPTS = 3;

/** Streams a new run (of `task`, or from `start`) to its end and returns its id. */
export async function followRun(
  api: Api,
  threadId: string,
  start: string | RunStart,
  follower: RunFollower,
  controls: RunControls = {},
): Promise<string> {
  const from = typeof start === 'string' ? { task: start } : start;
  let stream: AsyncIterable<StreamPart> = api.client.runs.stream(threadId, ASSISTANT_ID, {
    ...('task' in from
      ? { input: { task: from.task } }
      : 'resume' in from
        ? { command: { resume: from.resume } }
        : { input: null }),
    ...(controls.approval ? { config: { configurable: { approval: controls.approval } } } : {}),
    ...(controls.pauseBefore?.length ? { interruptBefore: controls.pauseBefore } : {}),
    ...(controls.pauseAfter?.length ? { interruptAfter: controls.pauseAfter } : {}),
    streamMode: STREAM_MODES,
    ifNotExists: 'create',
  });
  for (let attempt = 0; ; attempt += 1) {
    try {
      for await (const part of stream) follower.event(part);
      if (follower.ended && follower.runId !== undefined) return follower.runId;
    } catch (error) {
      if (follower.runId === undefined || attempt >= REATTACH_ATTEMPTS || httpStatus(error)) {
        throw apiFailure(api, error);
      }
    }
    if (follower.runId === undefined || attempt >= REATTACH_ATTEMPTS) {
      throw new AtolyeError(
        'RUN_STREAM_LOST',
        `lost the event stream of ${follower.runId ? `run ${follower.runId}` : 'the run'} on thread ${threadId}; ${api.hints.seeRuns(threadId)}`,
        { retryable: true },
      );
    }
    stream = api.client.runs.joinStream(threadId, follower.runId, {
      lastEventId: follower.lastEventId,
      streamMode: STREAM_MODES,
    });
  }
}

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

export const ASSISTANT_ID = 'atolye';
const STREAM_MODES: ('updates' | 'values')[] = ['updates', 'values'];
/** Re-attachments after the SDK's own reconnects have given up on a dropped stream. */
const REATTACH_ATTEMPTS = 3;

/** Streams a new run of `task` to its end and returns its id. */
export async function followRun(
  api: Api,
  threadId: string,
  task: string,
  follower: RunFollower,
): Promise<string> {
  let stream: AsyncIterable<StreamPart> = api.client.runs.stream(threadId, ASSISTANT_ID, {
    input: { task },
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

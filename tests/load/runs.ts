import { existsSync } from 'node:fs';
import path from 'node:path';
import { SIMPLE_FILE, SIMPLE_TASK, type Product } from '../performance/stack.js';
import { summarize, type Summary } from '../performance/stats.js';
import type { ModelRouter } from './model-router.js';

/** One run as the load client saw it. */
export interface RunRecord {
  slot: number;
  threadId?: string;
  runId?: string;
  /** From `POST …/runs` to the answer of `…/join`; absent when the join did not answer. */
  durationMs?: number;
  /** The run's last status (`success`, `error`, …), or where it got stuck: `not created`, `lost`. */
  status: string;
  /** The error code of a run that ended `error`, or what the client saw when it could not tell. */
  error?: string;
}

export interface RoundResult {
  label: string;
  latencyMs: { min: number; max: number };
  concurrency: number;
  /** Runs asked for, and those started before the deadline. */
  asked: number;
  runs: RunRecord[];
  elapsedMs: number;
  /** Runs that ended (any terminal status) per minute of the round. */
  perMinute: number;
  durations: Summary;
  statuses: Record<string, number>;
  /** Answers other than 2xx, as `METHOD route → status` (`network` when none came). */
  httpErrors: Record<string, number>;
  /** Not terminal `lostBoundMs` after the last run was submitted. */
  lost: number;
  /** Successful runs whose workspace has no hello.py: the run said done without doing the work. */
  missingFile: number;
  /** Whether the global deadline stopped the round early. */
  cut: boolean;
}

export interface RoundOptions {
  label: string;
  runs: number;
  concurrency: number;
  /** A join that takes longer is given up; the run is then checked again once submission ends. */
  runMaxMs: number;
  /** How long runs may take to end once submission has ended, before they count as lost. */
  lostBoundMs: number;
  /** The global deadline: no run starts after it (those in flight get lostBoundMs to end). */
  deadline: AbortSignal;
  /** Called with the runs ended so far every TICK_MS (a memory snapshot for the trend, say). */
  onProgress?: (ended: number) => void;
  /** A request other than the join not answered this long is given up and counted `→ timeout`. */
  requestTimeoutMs?: number;
  /** How the client retries a failed request (none by default: the load counts and moves on). */
  retry?: RetryPolicy;
  /** Called once when no more runs will start (all started, or the deadline). */
  onSubmissionEnded?: () => void;
}

/** What went wrong with one request, for a retry policy. */
export interface RequestFailure {
  method: string;
  route: string;
  /** The answer's status; undefined when none came (`refused`, `timedOut` or another network error). */
  status?: number;
  /** The answer's Retry-After in seconds, when it had one. */
  retryAfterS?: number;
  /** The connection was refused: the request surely never reached a server. */
  refused: boolean;
  timedOut: boolean;
}

/** Milliseconds to wait before sending the request again, or undefined to give up on it. */
export type RetryPolicy = (failure: RequestFailure, attempt: number) => number | undefined;

const TERMINAL = new Set(['success', 'error', 'timeout', 'interrupted']);
const POLL_MS = 1_000;
/** A progress line on stderr every PRINT_EVERY ticks. */
const TICK_MS = 10_000;
const PRINT_EVERY = 3;

/**
 * N runs of the one-file task, C at a time, each on a fresh thread through the HTTP API as a
 * client does it: `POST /threads`, `POST /threads/{id}/runs`, `GET …/runs/{run}/join`, then
 * `GET …/runs/{run}` for its status. Slot `s` runs one run at a time with its own mock model.
 */
export async function driveRuns(
  product: Product,
  router: ModelRouter,
  options: RoundOptions,
): Promise<RoundResult> {
  const httpErrors: Record<string, number> = {};
  const headers = { 'content-type': 'application/json', 'x-api-key': product.apiKey };
  /** One API call; a non-2xx answer or a network error is counted and answers undefined. */
  const call = async <T>(
    method: string,
    route: string,
    url: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T | undefined> => {
    const count = (outcome: string): void => {
      const key = `${method} ${route} → ${outcome}`;
      httpErrors[key] = (httpErrors[key] ?? 0) + 1;
    };
    for (let attempt = 1; ; attempt += 1) {
      // The join is bounded by its own signal; every other request by requestTimeoutMs.
      const timeout =
        signal === undefined && options.requestTimeoutMs !== undefined
          ? AbortSignal.timeout(options.requestTimeoutMs)
          : undefined;
      let failure: RequestFailure;
      try {
        const response = await fetch(`${product.apiUrl}${url}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: signal ?? timeout,
        });
        if (response.ok) return (await response.json()) as T;
        await response.arrayBuffer();
        count(String(response.status));
        const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
        failure = { method, route, status: response.status, refused: false, timedOut: false };
        if (Number.isFinite(retryAfter)) failure.retryAfterS = retryAfter;
      } catch (error) {
        // Our own deadline or join bound is not the server's error.
        if (signal?.aborted) return undefined;
        const timedOut = timeout?.aborted === true;
        const cause = String((error as Error).cause ?? (error as Error).message);
        count(timedOut ? 'timeout' : `network (${cause})`);
        failure = { method, route, refused: /ECONNREFUSED/.test(cause), timedOut };
      }
      const wait = options.retry?.(failure, attempt);
      if (wait === undefined) return undefined;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (signal?.aborted) return undefined;
    }
  };
  const runStatus = async (record: RunRecord): Promise<void> => {
    const run = await call<{ status: string; error?: { code?: string } | null }>(
      'GET',
      '/threads/{id}/runs/{run}',
      `/threads/${record.threadId}/runs/${record.runId}`,
    );
    if (!run) return;
    record.status = run.status;
    if (run.error?.code) record.error = run.error.code;
  };

  const records: RunRecord[] = [];
  let next = 0;
  const started = performance.now();
  // Once submission has ended (every run started, or the deadline), runs have lostBoundMs to end:
  // then the joins still waiting are given up and what is not terminal is lost.
  const cut = new AbortController();
  let lostAt: number | undefined;
  let cutTimer: NodeJS.Timeout | undefined;
  const submissionEnded = (): void => {
    if (lostAt !== undefined) return;
    options.onSubmissionEnded?.();
    lostAt = performance.now() + options.lostBoundMs;
    cutTimer = setTimeout(() => cut.abort(), options.lostBoundMs);
  };
  // A line on stderr now and then: a full round takes minutes.
  let ticks = 0;
  const progress = setInterval(() => {
    const ended = records.filter((record) => TERMINAL.has(record.status)).length;
    options.onProgress?.(ended);
    ticks += 1;
    if (ticks % PRINT_EVERY !== 0) return;
    const errors = Object.values(httpErrors).reduce((sum, value) => sum + value, 0);
    console.error(
      `  ${options.label}: ${ended} of ${options.runs} runs ended (${records.length} started), ` +
        `${errors} HTTP errors, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }, TICK_MS);
  const slot = async (slotIndex: number): Promise<void> => {
    for (;;) {
      if (next >= options.runs || options.deadline.aborted) return submissionEnded();
      next += 1;
      const record: RunRecord = { slot: slotIndex, status: 'not created' };
      records.push(record);
      await router.reset(slotIndex);
      const thread = await call<{ thread_id: string }>('POST', '/threads', '/threads', {});
      if (!thread) continue;
      record.threadId = thread.thread_id;
      const runStarted = performance.now();
      const run = await call<{ run_id: string; status: string }>(
        'POST',
        '/threads/{id}/runs',
        `/threads/${thread.thread_id}/runs`,
        {
          assistant_id: 'atolye',
          input: { task: `${SIMPLE_TASK} ${router.marker(slotIndex)}` },
        },
      );
      if (!run) continue;
      record.runId = run.run_id;
      record.status = run.status;
      const joined = await call<Record<string, unknown>>(
        'GET',
        '/threads/{id}/runs/{run}/join',
        `/threads/${thread.thread_id}/runs/${run.run_id}/join`,
        undefined,
        AbortSignal.any([cut.signal, AbortSignal.timeout(options.runMaxMs)]),
      );
      if (!joined) continue;
      record.durationMs = performance.now() - runStarted;
      await runStatus(record);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, index) => slot(index)));
  } finally {
    clearInterval(progress);
  }
  const elapsedMs = performance.now() - started;

  // The runs not seen to end (a join given up) get until the bound, then count as lost.
  const open = (): RunRecord[] =>
    records.filter((record) => record.runId !== undefined && !TERMINAL.has(record.status));
  const bound = lostAt ?? performance.now();
  while (open().length > 0) {
    for (const record of open()) await runStatus(record);
    if (open().length === 0 || performance.now() >= bound) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  clearTimeout(cutTimer);
  for (const record of open()) {
    record.error = `still ${record.status}`;
    record.status = 'lost';
  }

  const statuses: Record<string, number> = {};
  for (const record of records) statuses[record.status] = (statuses[record.status] ?? 0) + 1;
  const ended = records.filter((record) => TERMINAL.has(record.status)).length;
  return {
    label: options.label,
    latencyMs: { ...router.latencyMs },
    concurrency: options.concurrency,
    asked: options.runs,
    runs: records,
    elapsedMs,
    perMinute: elapsedMs > 0 ? (ended / elapsedMs) * 60_000 : Number.NaN,
    durations: summarize(records.flatMap((record) => record.durationMs ?? [])),
    statuses,
    httpErrors,
    lost: statuses.lost ?? 0,
    missingFile: records.filter(
      (record) =>
        record.status === 'success' &&
        !existsSync(path.join(product.workspaceRoot, record.threadId ?? '', SIMPLE_FILE)),
    ).length,
    cut: records.length < options.runs,
  };
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { IngestServer } from '../integration/monitoring/fixtures/ingest.js';
import { isAlive } from '../helpers/processes.js';
import { driveRuns, type RetryPolicy, type RoundResult, type RunRecord } from '../load/runs.js';
import type { BenchContext } from '../performance/harness.js';
import { startProduct, type Product } from '../performance/stack.js';
import { startInjector, type InjectorReport } from './injector.js';
import { mountLogDisk, type LogDisk } from './log-disk.js';
import type { ModelFront } from './model-front.js';
import type { Scenario } from './scenarios.js';
import {
  bump,
  eventSummary,
  mentions,
  notOnce,
  readErrorRecords,
  type SentryEvent,
} from './tally.js';

/** Everything one scenario's round measured. */
export interface ScenarioResult {
  scenario: string;
  round: Omit<RoundResult, 'runs'>;
  runs: RunRecord[];
  faults: InjectorReport[];
  /** Each run that ended `error` or `timeout`: its code and message, and where it was told. */
  failed: FailedRun[];
  /** Failed runs by how often the errors channel / Sentry named them (`1×` is the target). */
  logged: Record<string, number>;
  reported: Record<string, number>;
  errorsChannel: {
    /** Error-level records, by message with ids and numbers blanked. */
    byMessage: Record<string, number>;
    /** Error-level records naming a run that succeeded. */
    ofSuccessfulRuns: number;
    unreadable: number;
  };
  sentry: {
    events: number;
    byMessage: Record<string, number>;
    /** Error records whose `sentryEventId` never reached the ingest server, by message. */
    neverArrived: Record<string, number>;
  };
  /** Chat completions by what the model front did to them. */
  model: Record<string, number>;
  /**
   * The log disk, when the scenario had one: was logging written again once it had room? Each
   * channel file's size and last record's time when the filler was removed and at the end.
   */
  logDisk?: { sizeMb: number; resumed: boolean; atFree: ChannelFiles; atEnd: ChannelFiles };
  hostAlive: boolean;
  notes: string[];
}

export interface FailedRun {
  runId?: string;
  threadId?: string;
  status: string;
  code?: string;
  message?: string;
  logged: string[];
  reported: string[];
}

export interface RoundSettings {
  runs: number;
  concurrency: number;
  lostBoundMs: number;
  runMaxMs: number;
  /** No run starts after this aborts. */
  deadline: AbortSignal;
  /** `--set` flags every scenario's product gets (the Sentry DSN, the API port…). */
  settings: Record<string, string>;
  functions: readonly string[];
}

/** A request not answered this long counts as a timeout (the join has its own bound). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Attempts of one request before the client gives up on it, about a second apart. */
const ATTEMPTS = 60;
const SETTLE_MS = 2_000;

/**
 * The client of a careful user: a refused connection never reached a server, so any request is
 * sent again; a 503/429 with Retry-After is sent again after it; a read (GET) is sent again after
 * any failure but a 4xx. A write that may have arrived (a reset, a timeout, a 5xx without
 * Retry-After) is not: sending it again could start a second run.
 */
export const carefulClient: RetryPolicy = (failure, attempt) => {
  if (attempt >= ATTEMPTS) return undefined;
  const { status, retryAfterS } = failure;
  if ((status === 503 || status === 429) && retryAfterS !== undefined)
    return Math.min(retryAfterS * 1_000, 10_000);
  if (failure.refused) return 1_000;
  if (failure.method === 'GET' && (status === undefined || status >= 500)) return 1_000;
  return undefined;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A message with its ids and numbers blanked, to count alike messages together. */
const shape = (msg: string | undefined): string =>
  (msg ?? '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/\d+/g, 'N')
    .slice(0, 160);

/**
 * One scenario: a product of its own (its log folder on a tmpfs when the scenario fills it), the
 * faults started with the runs and stopped once the last run is submitted, then the product
 * closed (which flushes its logs and Sentry) before its errors channel and events are read.
 */
export async function runScenario(
  ctx: BenchContext,
  scenario: Scenario,
  front: ModelFront,
  ingest: IngestServer,
  settings: RoundSettings,
): Promise<ScenarioResult> {
  const root = ctx.dir(`stack-${scenario.name}`);
  const notes: string[] = [];
  let logDisk: LogDisk | undefined;
  let logDir = path.join(root, 'logs');
  if (scenario.logDiskMb !== undefined) {
    logDisk = mountLogDisk(ctx.dir(`log-disk-${scenario.name}`), scenario.logDiskMb);
    logDir = logDisk.dir;
  }
  let product: Product | undefined;
  try {
    product = await startProduct(ctx, root, {
      modelUrl: front.url,
      settings: { ...settings.settings, 'logging.dir': logDir },
    });
    const started = ingest.events().length;
    const modelBefore = front.faultCounts();
    const injectors = scenario
      .faults({ product, front, functions: settings.functions, logDisk })
      .map((fault) => startInjector(fault));
    const stopFaults = (): Promise<unknown> =>
      Promise.all(injectors.map((injector) => injector.stop()));
    let freedAt: number | undefined;
    let atFree: ChannelFiles = {};
    const freed = (): void => {
      if (freedAt !== undefined) return;
      freedAt = Date.now();
      if (logDisk) atFree = channelFiles(logDir);
    };
    const round = await driveRuns(product, front, {
      label: scenario.name,
      runs: settings.runs,
      concurrency: settings.concurrency,
      lostBoundMs: settings.lostBoundMs,
      runMaxMs: settings.runMaxMs,
      deadline: settings.deadline,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      retry: carefulClient,
      // The runs still in flight then get lostBoundMs without faults to end: a run not ended by
      // then is lost, not slow.
      onSubmissionEnded: () => void stopFaults().then(freed),
    }).finally(stopFaults);
    freed();
    const failed = round.runs.filter((run) => run.status === 'error' || run.status === 'timeout');
    const details = await Promise.all(failed.map((run) => runError(product as Product, run)));
    const hostAlive = isAlive(product.hostPid);
    if (!hostAlive) notes.push('the worker host was not running at the end of the round');
    await product.close();
    await sleep(SETTLE_MS);

    const { records, unreadable } = readErrorRecords(logDir);
    const events = ingest.events().slice(started) as SentryEvent[];
    const { logged, reported } = mentions(records, events);
    const succeeded = new Set(
      round.runs.filter((run) => run.status === 'success').map((run) => run.runId),
    );
    const byMessage: Record<string, number> = {};
    let ofSuccessfulRuns = 0;
    for (const record of records) {
      if (record.level !== 'error') continue;
      bump(byMessage, `${record.service ?? '?'}: ${shape(record.msg)}`);
      if (record.runId && succeeded.has(record.runId)) ofSuccessfulRuns += 1;
    }
    const sentryByMessage: Record<string, number> = {};
    for (const event of events)
      bump(sentryByMessage, `${event.tags?.service ?? '?'}: ${shape(eventSummary(event))}`);
    // The id a record carries is the SDK's; an event it then dropped (or lost with its process)
    // never arrives.
    const arrived = new Set(events.map((event) => event.event_id));
    const neverArrived: Record<string, number> = {};
    for (const record of records)
      if (record.level === 'error' && record.sentryEventId && !arrived.has(record.sentryEventId))
        bump(neverArrived, `${record.service ?? '?'}: ${shape(record.msg)}`);
    const modelAfter = front.faultCounts();
    const { runs, ...summary } = round;
    return {
      scenario: scenario.name,
      round: summary,
      runs,
      faults: injectors.map((injector) => injector.report()),
      failed: failed.map((run, index) => ({
        runId: run.runId,
        threadId: run.threadId,
        status: run.status,
        code: run.error,
        message: details[index],
        logged: (logged.get(run.runId ?? '') ?? []).map((record) => record.msg ?? ''),
        reported: (reported.get(run.runId ?? '') ?? []).map(eventSummary),
      })),
      logged: notOnce(failed, logged).byCount,
      reported: notOnce(failed, reported).byCount,
      errorsChannel: { byMessage, ofSuccessfulRuns, unreadable },
      sentry: { events: events.length, byMessage: sentryByMessage, neverArrived },
      model: Object.fromEntries(
        Object.entries(modelAfter).map(([key, value]) => [key, value - (modelBefore[key] ?? 0)]),
      ),
      logDisk:
        logDisk && logDiskFigures(logDisk.sizeMb, atFree, channelFiles(logDir), freedAt ?? 0),
      hostAlive,
      notes,
    };
  } finally {
    // SIGCONT first: a host left stopped would never take the SIGTERM of close().
    if (product && isAlive(product.hostPid)) process.kill(product.hostPid, 'SIGCONT');
    await product?.close();
    logDisk?.unmount();
  }
}

/** The message of a failed run's error, from `GET …/runs/{run}`; undefined when it cannot be read. */
async function runError(product: Product, run: RunRecord): Promise<string | undefined> {
  try {
    const answer = await fetch(`${product.apiUrl}/threads/${run.threadId}/runs/${run.runId}`, {
      headers: { 'x-api-key': product.apiKey },
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await answer.json()) as { error?: { message?: string } | null };
    return body.error?.message;
  } catch {
    return undefined;
  }
}

/** Each channel file (`<channel>-<date>.log`): its size, and the time of its last whole record. */
type ChannelFiles = Record<string, { bytes: number; lastRecordAt?: string }>;

function channelFiles(logDir: string): ChannelFiles {
  const files: ChannelFiles = {};
  for (const name of readdirSync(logDir).filter((file) => /-.+\.log$/.test(file))) {
    const text = readFileSync(path.join(logDir, name), 'utf8');
    let lastRecordAt: string | undefined;
    for (const line of text.trimEnd().split('\n').reverse()) {
      try {
        lastRecordAt = (JSON.parse(line) as { ts?: string }).ts;
        break;
      } catch {
        // A line cut by the full disk: look at the one before.
      }
    }
    files[name] = { bytes: statSync(path.join(logDir, name)).size, lastRecordAt };
  }
  return files;
}

/** Logging resumed when some channel file holds a record stamped after the disk had room again. */
function logDiskFigures(
  sizeMb: number,
  atFree: ChannelFiles,
  atEnd: ChannelFiles,
  freedAt: number,
): NonNullable<ScenarioResult['logDisk']> {
  const resumed = Object.values(atEnd).some(
    (file) => file.lastRecordAt !== undefined && Date.parse(file.lastRecordAt) > freedAt,
  );
  return { sizeMb, resumed, atFree, atEnd };
}

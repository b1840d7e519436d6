import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isErrorCode } from '../../src/error-codes/index.js';
import type { RunRecord } from '../load/runs.js';

/**
 * What a round left behind, run by run: the errors channel's records and the Sentry events that
 * name each run, and how the client's failed requests divide into kinds.
 */

/** The fields of an errors-channel record this suite reads. */
export interface ErrorRecord {
  level?: string;
  msg?: string;
  channel?: string;
  service?: string;
  runId?: string;
  code?: string;
  sentryEventId?: string;
}

/** Codes that say a run failed without saying why (catch-alls): not a clear code. */
export const VAGUE_CODES: ReadonlySet<string> = new Set([
  'INTERNAL',
  'RUN_FAILED',
  'RUN_INCOMPLETE',
  'STEP_FAILED',
]);

/** A failure's code is clear when the catalogue holds it and it is not a catch-all. */
export const isClearCode = (code: string | undefined): boolean =>
  code !== undefined && isErrorCode(code) && !VAGUE_CODES.has(code);

/**
 * Every record of the errors channel under `logDir` (`errors-<date>[.n].log` and its gzipped
 * rotations; not the `errors.log` symlink, which would count the live file twice). Lines that are
 * not JSON (a line cut by a full disk) are counted, not parsed.
 */
export function readErrorRecords(logDir: string): { records: ErrorRecord[]; unreadable: number } {
  let names: string[];
  try {
    names = readdirSync(logDir).filter((name) => /^errors-.+\.log(\.gz)?$/.test(name));
  } catch {
    return { records: [], unreadable: 0 };
  }
  const records: ErrorRecord[] = [];
  let unreadable = 0;
  for (const name of names) {
    const raw = readFileSync(path.join(logDir, name));
    const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as ErrorRecord);
      } catch {
        unreadable += 1;
      }
    }
  }
  return { records, unreadable };
}

/** A Sentry error event as the ingest server received it: the fields read here. */
export interface SentryEvent {
  event_id?: string;
  message?: string | { formatted?: string };
  tags?: Record<string, string>;
  exception?: { values?: { type?: string; value?: string }[] };
}

/** One line about a Sentry event: its exception or message, for the report. */
export function eventSummary(event: SentryEvent): string {
  const exception = event.exception?.values?.at(-1);
  if (exception) return `${exception.type ?? 'Error'}: ${exception.value ?? ''}`;
  return typeof event.message === 'string' ? event.message : (event.message?.formatted ?? '');
}

/** How many times each run is named: by error-level records of the errors channel, by Sentry events. */
export interface Mentions {
  logged: Map<string, ErrorRecord[]>;
  reported: Map<string, SentryEvent[]>;
}

export function mentions(
  records: readonly ErrorRecord[],
  events: readonly SentryEvent[],
): Mentions {
  const logged = new Map<string, ErrorRecord[]>();
  for (const record of records) {
    if (record.level !== 'error' || !record.runId) continue;
    logged.set(record.runId, [...(logged.get(record.runId) ?? []), record]);
  }
  const reported = new Map<string, SentryEvent[]>();
  for (const event of events) {
    const runId = event.tags?.runId;
    if (runId) reported.set(runId, [...(reported.get(runId) ?? []), event]);
  }
  return { logged, reported };
}

/** The failed runs (status `error` or `timeout`) whose mentions are not exactly one, by count. */
export function notOnce(
  failed: readonly RunRecord[],
  seen: Map<string, unknown[]>,
): { off: RunRecord[]; byCount: Record<string, number> } {
  const off: RunRecord[] = [];
  const byCount: Record<string, number> = {};
  for (const run of failed) {
    const times = seen.get(run.runId ?? '')?.length ?? 0;
    byCount[`${times}×`] = (byCount[`${times}×`] ?? 0) + 1;
    if (times !== 1) off.push(run);
  }
  return { off, byCount };
}

export type HttpKind = 'refused' | '5xx' | 'timeout' | 'other network' | '4xx';

/** The client's failed requests (driveRuns' `httpErrors`) by kind. */
export function httpKinds(httpErrors: Record<string, number>): Record<HttpKind, number> {
  const kinds: Record<HttpKind, number> = {
    refused: 0,
    '5xx': 0,
    timeout: 0,
    'other network': 0,
    '4xx': 0,
  };
  for (const [key, value] of Object.entries(httpErrors)) {
    const kind: HttpKind = /ECONNREFUSED/.test(key)
      ? 'refused'
      : /→ 5\d\d$/.test(key)
        ? '5xx'
        : /→ timeout$/.test(key)
          ? 'timeout'
          : /→ network/.test(key)
            ? 'other network'
            : '4xx';
    kinds[kind] += value;
  }
  return kinds;
}

/** `{ a: 2, b: 1 }` as `2× a, 1× b`, largest first. */
export const listed = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => `${value}× ${key}`)
    .join(', ') || 'none';

/** Adds one to `key`. */
export const bump = (counts: Record<string, number>, key: string): void =>
  void (counts[key] = (counts[key] ?? 0) + 1);

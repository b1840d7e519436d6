import { isErrorHandler, stepName } from '../../client/step-failure.js';

/**
 * A run's steps as the timeline shows them: one entry per step call, its retries folded into it.
 * A step retried three times is one "plan failed after 3 attempts" entry, not three bars that
 * look the same. No DOM here: the view draws what this works out.
 */

export interface StepAttempt {
  durationMs: number;
  ok: boolean;
  /** The failure's code, when the attempt failed. */
  code?: string;
}

export interface TimelineEntry {
  step: string;
  attempts: StepAttempt[];
}

/** One call of a step, as the orchestrator logs it ("step plan finished" / "step plan failed"). */
export interface StepCall extends StepAttempt {
  step: string;
  /** Which attempt of the step this was, from 1. */
  attempt: number;
}

/** Adds a call: a retry (attempt 2 and on) joins the entry of the step it retried. */
export function addCall(entries: TimelineEntry[], call: StepCall): void {
  const { step, attempt, ...outcome } = call;
  const last = entries.at(-1);
  if (attempt > 1 && last?.step === step) last.attempts.push(outcome);
  else entries.push({ step, attempts: [outcome] });
}

/**
 * A step of the live stream's `updates` event. The stream says nothing of attempts: a step that
 * failed for good arrives as LangGraph's `__error_handler__<step>` node, and is that step failed.
 */
export function addUpdate(entries: TimelineEntry[], node: string, durationMs: number): void {
  entries.push({ step: stepName(node), attempts: [{ durationMs, ok: !isErrorHandler(node) }] });
}

/** The time of every attempt: how long the step held the run up. */
export function entryDuration(entry: TimelineEntry): number {
  return entry.attempts.reduce((sum, attempt) => sum + attempt.durationMs, 0);
}

/** A step is done or failed by its last attempt. */
export function entryOk(entry: TimelineEntry): boolean {
  return entry.attempts.at(-1)?.ok ?? false;
}

/**
 * What the bar alone does not say: "failed (CODE)", "failed after 3 attempts (CODE)",
 * "succeeded on attempt 2; attempt 1 failed (CODE)"; null for a step that worked at once.
 */
export function entryNote(entry: TimelineEntry): string | null {
  const { attempts } = entry;
  const failures = attempts.filter((attempt) => !attempt.ok);
  if (failures.length === 0) return null;
  const codes = [...new Set(failures.map((attempt) => attempt.code).filter(Boolean))];
  const why = codes.length > 0 ? ` (${codes.join(', ')})` : '';
  if (!entryOk(entry)) {
    return attempts.length === 1
      ? `failed${why}`
      : `failed after ${attempts.length} attempts${why}`;
  }
  const which = failures.length === 1 ? 'attempt 1 failed' : `attempts 1–${failures.length} failed`;
  return `succeeded on attempt ${attempts.length}; ${which}${why}`;
}

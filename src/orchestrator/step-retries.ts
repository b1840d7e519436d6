import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STEP_NAMES, type StepFailure, type StepRetries } from '../agent/graph/index.js';
import { resolveFromRoot } from '../config/paths.js';
import { currentLogContext, withLogContext, type ChannelLogger } from '../logging/index.js';
import type { ErrorCode } from '../error-codes/index.js';
import type { RunRecord } from './runs-store.js';
import type { StepCallRecord } from './step-client.js';
import { MANIFEST_FILE, parseManifest } from '../runtime/bundle/manifest.js';

/**
 * Logs each step call on the `agent` channel (and tells `onStep`), unless `dropped()`: a call
 * dropped by close() belongs to no run any more; its resumed twin is logged instead.
 */
export function stepCallLogger(
  agentLog: ChannelLogger,
  onStep: ((record: StepCallRecord, runId: string | undefined) => void) | undefined,
  dropped: () => boolean,
): (record: StepCallRecord) => void {
  return (record) => {
    if (dropped()) return;
    onStep?.(record, currentLogContext().runId);
    const { step, ok, toolCalls = [], ...fields } = record;
    withLogContext({ step }, () => {
      if (ok) agentLog.info(`step ${step} finished`, fields);
      else if (fields.retryInMs !== undefined) {
        agentLog.warn(
          `step ${step} failed (${fields.code}); the host asked for it again, sent in ${fields.retryInMs} ms`,
          fields,
        );
      } else agentLog.warn(`step ${step} failed`, fields);
      // A failed call is an observation for the model, not a failure of the run: info either way.
      for (const { tool, ...call } of toolCalls) agentLog.info(`tool ${tool}`, { tool, ...call });
    });
  };
}

/**
 * One `agent` line per failed attempt of a step: which, why, and what the step retry policy does
 * next. A warning even when it ends the run: the run's failure is reported once, by the line that
 * ends the run (`logRunEnd`), so a failure a retry absorbed is no error at all. Nothing once
 * `stopped()` (the executor is closing).
 */
export function stepFailureLogger(
  agentLog: ChannelLogger,
  stopped: () => boolean,
): (failure: StepFailure) => void {
  return (failure) => {
    if (stopped()) return;
    const { step, attempt, maxAttempts, code, message, retryable, retrying, delayMs } = failure;
    const fields = {
      attempt,
      maxAttempts,
      code,
      error: message,
      retryable,
      ...(retrying ? { delayMs, jitterUpToMs: failure.jitterUpToMs ?? 0 } : {}),
    };
    withLogContext({ step }, () => {
      if (retrying) {
        agentLog.warn(
          `step ${step} attempt ${attempt} of ${maxAttempts} failed (${code}); retrying in ${delayMs} ms`,
          fields,
        );
      } else {
        const why = !retryable
          ? 'not retryable'
          : attempt >= maxAttempts
            ? `no attempts left of ${maxAttempts}`
            : 'the run is stopping';
        agentLog.warn(
          `step ${step} attempt ${attempt} of ${maxAttempts} failed (${code}); ${why}, the run ends`,
          fields,
        );
      }
    });
  };
}

/**
 * The line that ends a run, in the run's log context. A run that failed (`error`, `timeout`) is
 * one error, with its code: the one record of the failure in the `errors` channel and the one
 * Sentry event (tagged with the run). `cause` is what was thrown, when the run ended on a throw.
 */
export function logRunEnd(agentLog: ChannelLogger, run: RunRecord, cause?: unknown): void {
  const fields = { stopReason: run.stopReason, ...run.usage };
  if (run.status !== 'error' && run.status !== 'timeout') {
    agentLog.info(`run ended: ${run.status}`, fields);
    return;
  }
  const code = run.error?.code ?? ('RUN_FAILED' satisfies ErrorCode);
  const message = run.error?.message ?? `the run ended with status ${run.status}`;
  agentLog.error(`run ended: ${run.status} (${code}): ${message}`, {
    ...fields,
    code,
    error: message,
    ...(cause === undefined ? {} : { err: cause }),
  });
}

/**
 * The step functions' declared `limits.retries`, from the build manifest: the declaration is the
 * one place a function's deploy settings live. Without a manifest no step is retried, and the
 * `system` log says why.
 */
export function declaredRetries(
  distDir: string | undefined,
  systemLog: { warn(msg: string, fields?: Record<string, unknown>): void },
): StepRetries {
  const file = path.join(distDir ?? resolveFromRoot('dist'), MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    systemLog.warn(
      `no build manifest at ${file}: the steps' declared retries are unknown, so no step is retried (run \`npm run build\`)`,
      { err: error },
    );
    return {};
  }
  const retries: StepRetries = {};
  for (const fn of parseManifest(text, file).functions) {
    const step = STEP_NAMES.find((name) => name === fn.name);
    if (step !== undefined) retries[step] = fn.limits.retries;
  }
  return retries;
}

import nodeModule from 'node:module';
import {
  describeIssues,
  type FunctionDefinition,
  type HandlerContext,
  type HandlerLog,
  type InvocationMeta,
} from '../contract.js';
import { ERROR_CODES, type ErrorCode } from '../../error-codes/index.js';
import { errorCodeOf, errorMessage, isRetryable } from '../../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../json-depth.js';
import type { HostMessage, LogLevel, WireError, WorkerMessage } from '../protocol.js';
import { SETTINGS_ENV, WORKER_ENV } from '../protocol.js';
import { workerSettings } from './settings.js';

/** sysexits' EX_CONFIG: the worker cannot start with its settings, or its init failed on them. */
const EXIT_CONFIG = 78;

/**
 * The worker side of a function bundle. Started by the host with `fork()`, it initialises the
 * module once and serves invocations over IPC for the rest of its life, as a warm Lambda or Modal
 * container does. It never writes log files: every record goes to the host.
 */
export function serveWorker(
  definition: FunctionDefinition,
  startedAt = performance.now(),
): boolean {
  if (process.env[WORKER_ENV] !== 'ipc' || typeof process.send !== 'function') return false;
  const resolved = workerSettings(
    definition.name,
    definition.settings ?? [],
    process.env[SETTINGS_ENV],
  );
  if (!resolved.ok) {
    // The host reports a worker that exits before `ready` as a failed start, quoting stderr.
    process.stderr.write(`${resolved.problem}\n`);
    process.exit(EXIT_CONFIG);
  }
  const { settings } = resolved;
  const inFlight = new Set<string>();
  let closing = false;
  let exitCode = 0;
  let unflushed = 0;
  const logs: WorkerMessage[] = [];
  let logsQueued = false;
  // Exiting with messages still queued on the channel would lose them (a last result, the log
  // record of a fatal error): leave only once every send has been written.
  const exitWhenDone = (): void => {
    if (!closing || inFlight.size > 0) return;
    if (logs.length > 0) sendLogs();
    if (unflushed === 0) process.exit(exitCode);
  };
  const flushed = (): void => {
    unflushed -= 1;
    exitWhenDone();
  };
  const send = (message: WorkerMessage): void => {
    if (!process.connected || !process.send) return;
    unflushed += 1;
    try {
      process.send(message, undefined, {}, flushed);
    } catch (error) {
      unflushed -= 1;
      if (message.t === 'batch') {
        for (const part of message.messages) send(part);
        return;
      }
      const fallback = unsendable(message, error);
      if (fallback) send(fallback);
    }
  };
  // A result takes the records waiting to go out along with it, in the same write.
  const sendResult = (message: WorkerMessage): void => {
    if (logs.length === 0) return send(message);
    send({ t: 'batch', messages: [message, ...logs.splice(0)] });
  };

  // Log records go out after this turn's results: each message is a write on the channel, and a
  // result should not queue behind the records its handler logged on the way.
  const sendLogs = (): void => {
    logsQueued = false;
    for (const message of logs.splice(0)) send(message);
  };
  const sendLog = (message: WorkerMessage): void => {
    logs.push(message);
    if (!logsQueued) {
      logsQueued = true;
      setImmediate(sendLogs);
    }
  };
  // A handler calling process.exit() still gets its last records out (the write is synchronous).
  process.on('exit', () => {
    if (logs.length > 0) sendLogs();
  });

  process.on('message', (message: HostMessage) => {
    switch (message.t) {
      case 'invoke':
        inFlight.add(message.id);
        void runInvocation(definition, settings, message, sendResult, sendLog).finally(() => {
          inFlight.delete(message.id);
          exitWhenDone();
        });
        return;
      case 'ping':
        send({ t: 'pong', id: message.id, rssBytes: process.memoryUsage.rss() });
        return;
      case 'shutdown':
        closing = true;
        exitWhenDone();
        return;
    }
  });
  // Losing the host means nobody can receive results: leave at once (die-with-parent).
  process.on('disconnect', () => process.exit(exitCode));
  process.on('uncaughtException', (error) => {
    forwardLog(sendLog, 'error', `uncaught exception in worker: ${error.message}`, {
      err: serialiseError(error),
    });
    // The calls in flight cannot finish in a broken process; the host fails them with 502.
    closing = true;
    exitCode = 70;
    inFlight.clear();
    setTimeout(() => process.exit(exitCode), 1_000);
    exitWhenDone();
  });
  const ready = (): void => {
    send({ t: 'ready', initMs: performance.now() - startedAt, pid: process.pid });
    // Node ≥ 22.1 compiled the bundle through the cache the host named in NODE_COMPILE_CACHE;
    // write what start-up compiled now, so the next cold worker reuses it even if this one is killed.
    if (process.env.NODE_COMPILE_CACHE) setImmediate(flushCompileCache);
  };
  if (definition.init === undefined) {
    ready();
    return true;
  }
  // A function's own start-up (a sandbox from its settings) runs before `ready`: when it throws,
  // the worker never serves, and a deploy fails its health check instead of every later call.
  Promise.resolve()
    .then(() => definition.init?.(settings, handlerLog(sendLog)))
    .then(ready, (error: unknown) => {
      process.stderr.write(`${definition.name} could not start: ${errorMessageOf(error)}\n`);
      process.exit(EXIT_CONFIG);
    });
  return true;
}

function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function flushCompileCache(): void {
  try {
    (nodeModule as { flushCompileCache?: () => void }).flushCompileCache?.();
  } catch {
    // A cache that cannot be written only costs the next start its compile time.
  }
}

/**
 * What to send instead of a message the channel cannot carry (a BigInt or a cycle in a log field
 * or an output): the record without its fields, or a failed result naming the problem.
 */
function unsendable(message: WorkerMessage, error: unknown): WorkerMessage | undefined {
  const reason = error instanceof Error ? error.message : String(error);
  if (message.t === 'log' && message.record.fields !== undefined) {
    return {
      t: 'log',
      record: { ...message.record, fields: { fieldsDropped: `not serialisable: ${reason}` } },
    };
  }
  if (message.t === 'result' && message.ok) {
    return {
      t: 'result',
      id: message.id,
      ok: false,
      ...workerFailure('OUTPUT_UNSERIALISABLE', `the output cannot be sent as JSON: ${reason}`),
      durationMs: message.durationMs,
    };
  }
  return undefined;
}

async function runInvocation(
  definition: FunctionDefinition,
  settings: unknown,
  message: Extract<HostMessage, { t: 'invoke' }>,
  send: (message: WorkerMessage) => void,
  sendLog: (message: WorkerMessage) => void,
): Promise<void> {
  const started = performance.now();
  const fail = (failure: { status: number; error: WireError }): void =>
    send({
      t: 'result',
      id: message.id,
      ok: false,
      ...failure,
      durationMs: performance.now() - started,
    });

  const input = definition.input.safeParse(message.input);
  if (!input.success) {
    fail(
      workerFailure(
        'INPUT_INVALID',
        `invalid input for ${definition.name}: ${describeIssues(input.error).join('; ')}`,
      ),
    );
    return;
  }
  const deadline = started + message.timeoutMs;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const { meta } = message;
  // A literal rather than `{ ...meta, signal, log }`: keys added after a spread are slow on V8 11.
  const ctx: HandlerContext<unknown> = {
    invocationId: meta.invocationId,
    requestId: meta.requestId,
    threadId: meta.threadId,
    runId: meta.runId,
    step: meta.step,
    attempt: meta.attempt,
    // Made on first use: most handlers never look, and a controller plus a timer per call shows.
    get signal(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        const left = deadline - performance.now();
        if (finished || left <= 0) controller.abort();
        else timer = setTimeout(() => controller?.abort(), left);
      }
      return controller.signal;
    },
    log: handlerLog(sendLog, meta),
    settings,
  };
  try {
    const raw = await definition.handle(input.data, ctx);
    const output = definition.output.safeParse(raw);
    if (!output.success) {
      fail(
        workerFailure(
          'OUTPUT_INVALID',
          `${definition.name} returned output that breaks its schema: ${describeIssues(output.error).join('; ')}`,
        ),
      );
      return;
    }
    // Bounded like the input at the gateway: serialising a deeper value (for the channel, then
    // for the host's reply) can overflow the stack.
    if (nestsDeeperThan(output.data, MAX_JSON_DEPTH)) {
      fail(
        workerFailure(
          'OUTPUT_TOO_DEEP',
          `${definition.name} returned output nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, the host's limit`,
        ),
      );
      return;
    }
    send({
      t: 'result',
      id: message.id,
      ok: true,
      output: output.data,
      durationMs: performance.now() - started,
    });
  } catch (error) {
    const wire = toWireError(error);
    // A warning, not an error: the caller decides what the failure means (the orchestrator may
    // retry the step, and reports the run's failure once when the run ends). Errors are kept
    // for faults of the process itself (an uncaught exception, above).
    forwardLog(
      sendLog,
      'warn',
      `${definition.name} failed (${wire.code}): ${wire.message}`,
      { code: wire.code, retryable: wire.retryable, err: serialiseError(error) },
      message.meta,
    );
    // The function failed: a 500 whatever its code, which may be its own (outside the catalogue).
    fail({ status: 500, error: wire });
  } finally {
    finished = true;
    clearTimeout(timer);
  }
}

function handlerLog(send: (message: WorkerMessage) => void, meta?: InvocationMeta): HandlerLog {
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      forwardLog(send, level, msg, fields, meta);
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

function forwardLog(
  send: (message: WorkerMessage) => void,
  level: LogLevel,
  msg: string,
  fields?: Record<string, unknown>,
  meta?: InvocationMeta,
): void {
  send({ t: 'log', record: { level, msg, fields, invocationId: meta?.invocationId } });
}

/** A failure of the worker's own, with its code's status and `retryable` from the catalogue. */
function workerFailure(code: ErrorCode, message: string): { status: number; error: WireError } {
  const { status, retryable } = ERROR_CODES[code];
  return { status, error: { code, message, retryable } };
}

/** What a handler threw, as the wire error: its own code and `retryable`, or HANDLER_ERROR. */
function toWireError(error: unknown): WireError {
  const code = errorCodeOf(error);
  if (code !== undefined) {
    return { code, message: errorMessage(error), retryable: isRetryable(error) };
  }
  return { code: 'HANDLER_ERROR', message: errorMessage(error), retryable: false };
}

function serialiseError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { name: error.name, message: error.message, stack: error.stack };
}

/**
 * Why a worker ended: the host stopped it, killed it for overrunning, it died on its own (before
 * or after it was ready), or another process killed it with a signal.
 */
export type ExitReason = 'stopped' | 'timeout' | 'start-failed' | 'crashed' | 'killed';

/**
 * Signals a worker does not raise itself: an operator, a supervisor or the kernel's OOM killer
 * sent them. A bundle's own failures end it with an exit code (a throw at import, process.exit)
 * or with a signal it raises (SIGABRT when V8 runs out of heap, SIGSEGV, SIGBUS).
 */
const OUTSIDE_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

export interface WorkerExit {
  reason: ExitReason;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** One sentence for logs and replies, quoting what the worker said last when it said anything. */
  message: string;
  /** How long the worker was ready, 0 when it never was. */
  uptimeMs: number;
  /** It never said `ready`. */
  wasStarting: boolean;
}

export interface ExitFacts {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The worker never said `ready`. */
  wasStarting: boolean;
  uptimeMs: number;
  /** Set when the host ended the worker, with why. */
  ending?: { reason: ExitReason; message: string };
  /** The best line of its stderr (see LineTail.summary), or a sentence about running out of memory. */
  said?: string;
}

/** Classifies a worker's exit and words it for the log and for the calls it takes down. */
export function describeExit(facts: ExitFacts): WorkerExit {
  const { pid, code, signal, uptimeMs, ending, wasStarting } = facts;
  const common = { code, signal, uptimeMs, wasStarting };
  if (ending) {
    // A start timeout is a failed start whatever ended the process.
    const reason = wasStarting && ending.reason !== 'stopped' ? 'start-failed' : ending.reason;
    return { reason, ...common, message: `worker ${pid} was ended because ${ending.message}` };
  }
  if (signal !== null && OUTSIDE_SIGNALS.has(signal)) {
    const when = wasStarting ? 'before it was ready' : 'after it was ready';
    return {
      reason: 'killed',
      ...common,
      message: `worker ${pid} was killed by ${signal} from outside the host ${when}`,
    };
  }
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const quote = facts.said ? `: ${facts.said}` : '';
  if (wasStarting) {
    return {
      reason: 'start-failed',
      ...common,
      message: `worker exited with ${how} before it was ready${quote}`,
    };
  }
  return {
    reason: 'crashed',
    ...common,
    message: `worker ${pid} exited unexpectedly with ${how}${quote}`,
  };
}

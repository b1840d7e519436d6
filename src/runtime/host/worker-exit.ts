/** Why a worker ended: the host stopped it, killed it for overrunning, or it died on its own. */
export type ExitReason = 'stopped' | 'timeout' | 'start-failed' | 'crashed';

export interface WorkerExit {
  reason: ExitReason;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** One sentence for logs and replies, quoting what the worker said last when it said anything. */
  message: string;
  /** How long the worker was ready, 0 when it never was. */
  uptimeMs: number;
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
  const how = signal ? `signal ${signal}` : `code ${code}`;
  const quote = facts.said ? `: ${facts.said}` : '';
  if (ending) {
    // A start timeout is a failed start whatever ended the process.
    const reason = wasStarting && ending.reason !== 'stopped' ? 'start-failed' : ending.reason;
    return {
      reason,
      code,
      signal,
      uptimeMs,
      message: `worker ${pid} was ended because ${ending.message}`,
    };
  }
  if (wasStarting) {
    return {
      reason: 'start-failed',
      code,
      signal,
      uptimeMs,
      message: `worker exited with ${how} before it was ready${quote}`,
    };
  }
  return {
    reason: 'crashed',
    code,
    signal,
    uptimeMs,
    message: `worker ${pid} exited unexpectedly with ${how}${quote}`,
  };
}

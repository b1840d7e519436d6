/** How long `eventually` keeps asking, and how often. */
export interface PollOptions {
  /** Give up after this long; 10 s by default. */
  timeoutMs?: number;
  /** The pause between two asks; 20 ms by default. */
  intervalMs?: number;
}

/** What a probe answers while the awaited thing is not there yet. */
type NotYet = undefined | null | false;

/**
 * Asks `probe` until it answers something other than undefined, null or false, and resolves to
 * that answer: a log line reaching the disk, a process ending, a server starting to listen. A
 * probe that throws is asked again (the server is not listening yet), unless it threw giveUp's
 * error (the process it waits on has exited). On timeout it rejects naming `what` it waited for,
 * and the probe's last answer or error.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: { answer: unknown } | { error: unknown };
    try {
      const answer = await probe();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
      last = { answer };
    } catch (error) {
      if (error instanceof GiveUp) {
        throw new Error(`gave up waiting for ${what}: ${error.message}`, { cause: error });
      }
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen =
        'error' in last
          ? `the last try threw: ${describe(last.error)}`
          : `the last answer was ${describe(last.answer)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
    }
    await sleep(intervalMs);
  }
}

class GiveUp extends Error {}

/** Thrown by a probe: `eventually` stops at once, for `reason` (what waited for will not come). */
export function giveUp(reason: string): never {
  throw new GiveUp(reason);
}

/** A pause, for what a test cannot poll for (time passing is the point). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value); // a cycle
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

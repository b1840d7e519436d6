/**
 * The fault injector: one kind of fault applied again and again while a round of runs goes on,
 * then undone. What it did each time is counted by outcome ("SIGKILL act worker", "no worker
 * alive"), so a round's figures say how many faults really hit, not how many were meant to.
 */

/** One kind of fault, as a scenario declares it. */
export interface Fault {
  name: string;
  /** The pause before each application, drawn uniformly from [min, max] ms. */
  everyMs: { min: number; max: number };
  /** The pause before the first one, when it differs (a short round should see the fault). */
  firstMs?: { min: number; max: number };
  /** Applies the fault once; answers what it did, the key it is counted under. */
  apply(): Promise<string>;
  /** Undoes whatever the fault left in force (a stopped process, a full disk); after the last apply. */
  undo?(): Promise<void>;
}

export interface InjectorReport {
  name: string;
  /** Applications by what they did. */
  outcomes: Record<string, number>;
  /** Each application: ms since the injector started, and what it did (the first MAX_EVENTS). */
  events: { atMs: number; outcome: string }[];
}

export interface Injector {
  report(): InjectorReport;
  /** No application after this; waits for the one in progress, then undo(). Idempotent. */
  stop(): Promise<void>;
}

const MAX_EVENTS = 500;

export function startInjector(fault: Fault, random: () => number = Math.random): Injector {
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  const events: InjectorReport['events'] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const record = (outcome: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (events.length < MAX_EVENTS)
      events.push({ atMs: Math.round(performance.now() - started), outcome });
  };
  let first = true;
  const pause = (): Promise<void> =>
    new Promise((resolve) => {
      const { min, max } = (first && fault.firstMs) || fault.everyMs;
      first = false;
      wake = resolve;
      timer = setTimeout(resolve, min + random() * (max - min));
    });
  const loop = (async (): Promise<void> => {
    for (;;) {
      await pause();
      if (stopped) return;
      // A fault that throws is the harness's problem, not the product's: counted, and the loop goes on.
      record(await fault.apply().catch((error: unknown) => `apply failed: ${String(error)}`));
    }
  })();
  let stopping: Promise<void> | undefined;
  return {
    report: () => ({ name: fault.name, outcomes: { ...outcomes }, events: [...events] }),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        wake?.();
        await loop;
        await fault.undo?.();
      })();
      return stopping;
    },
  };
}

/** The command line of `npm run load`. */
export interface LoadOptions {
  /** Runs at zero model latency: the leak check wants at least 1,000. */
  runs: number;
  /** Runs at a realistic model latency. */
  latencyRuns: number;
  /** Runs in flight at once. */
  concurrency: number;
  /** The model's delay per reply in the realistic round: uniform between min and max, in ms. */
  latencyMs: { min: number; max: number };
  /** Callers at once in the worker-host-alone round, and how long it lasts. */
  hostConcurrency: number;
  hostMs: number;
  /** Everything stops after this long and reports what it has. */
  maxMs: number;
  quick: boolean;
  help: boolean;
}

export const FULL = {
  runs: 1_000,
  latencyRuns: 200,
  concurrency: 16,
  hostConcurrency: 64,
  hostMs: 10_000,
  maxMs: 20 * 60_000,
};
export const QUICK = {
  runs: 40,
  latencyRuns: 16,
  concurrency: 8,
  hostConcurrency: 64,
  hostMs: 3_000,
  maxMs: 3 * 60_000,
};
const LATENCY = { min: 300, max: 800 };

export const USAGE = `usage: npm run load -- [--quick] [--runs N] [--latency-runs M] [--concurrency C]
                        [--latency-ms L | --latency-ms MIN-MAX] [--host-concurrency H] [--max-minutes T]
  --quick              a rough reading: ${QUICK.runs} + ${QUICK.latencyRuns} runs at ${QUICK.concurrency}, ${QUICK.maxMs / 60_000} min at most
  --runs N             runs with the model answering at once (default ${FULL.runs}; the leak check wants ≥ 1000)
  --latency-runs M     runs with the model answering after --latency-ms (default ${FULL.latencyRuns}; 0 skips them)
  --concurrency C      runs in flight at once (default ${FULL.concurrency})
  --latency-ms L       the model's delay per reply in ms, or a range MIN-MAX drawn uniformly (default ${LATENCY.min}-${LATENCY.max})
  --host-concurrency H signed calls at once to the worker host alone (default ${FULL.hostConcurrency}; 0 skips them)
  --max-minutes T      stop everything after T minutes and report what was measured (default ${FULL.maxMs / 60_000}; --quick ${QUICK.maxMs / 60_000})`;

export class UsageError extends Error {
  readonly code = 'LOAD_USAGE';
  readonly retryable = false;
}

function count(flag: string, text: string | undefined, min: number): number {
  const value = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(value) || value < min)
    throw new UsageError(`${flag} needs a whole number of at least ${min}, not "${text ?? ''}"`);
  return value;
}

function latency(text: string | undefined): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text ?? '');
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || max < min)
    throw new UsageError(
      `--latency-ms needs milliseconds (500) or a range MIN-MAX (300-800), not "${text ?? ''}"`,
    );
  return { min, max };
}

/** Parses the arguments after `npm run load --`; throws UsageError naming what is wrong. */
export function parseOptions(args: readonly string[]): LoadOptions {
  const quick = args.includes('--quick');
  const base = quick ? QUICK : FULL;
  const options: LoadOptions = { ...base, latencyMs: LATENCY, quick, help: false };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg];
    const value = (): string | undefined => inline ?? args[(i += 1)];
    if (flag === '--quick') continue;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--runs') options.runs = count('--runs', value(), 1);
    else if (flag === '--latency-runs') options.latencyRuns = count('--latency-runs', value(), 0);
    else if (flag === '--concurrency') options.concurrency = count('--concurrency', value(), 1);
    else if (flag === '--latency-ms') options.latencyMs = latency(value());
    else if (flag === '--host-concurrency')
      options.hostConcurrency = count('--host-concurrency', value(), 0);
    else if (flag === '--max-minutes') options.maxMs = count('--max-minutes', value(), 1) * 60_000;
    else throw new UsageError(`unknown option ${arg}`);
  }
  return options;
}

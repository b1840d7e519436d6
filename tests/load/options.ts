import { eachArgument, UsageError, wholeNumber } from '../performance/command-line.js';

const CODE = 'LOAD_USAGE';

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

function latency(text: string | undefined): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text ?? '');
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || max < min)
    throw new UsageError(
      CODE,
      `--latency-ms needs milliseconds (500) or a range MIN-MAX (300-800), not "${text ?? ''}"`,
    );
  return { min, max };
}

/** Parses the arguments after `npm run load --`; throws UsageError naming what is wrong. */
export function parseOptions(args: readonly string[]): LoadOptions {
  const quick = args.includes('--quick');
  const base = quick ? QUICK : FULL;
  const options: LoadOptions = { ...base, latencyMs: LATENCY, quick, help: false };
  for (const { arg, flag, value } of eachArgument(args)) {
    if (flag === '--quick') continue;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--runs') options.runs = wholeNumber(CODE, flag, value(), 1);
    else if (flag === '--latency-runs') options.latencyRuns = wholeNumber(CODE, flag, value(), 0);
    else if (flag === '--concurrency') options.concurrency = wholeNumber(CODE, flag, value(), 1);
    else if (flag === '--latency-ms') options.latencyMs = latency(value());
    else if (flag === '--host-concurrency')
      options.hostConcurrency = wholeNumber(CODE, flag, value(), 0);
    else if (flag === '--max-minutes') options.maxMs = wholeNumber(CODE, flag, value(), 1) * 60_000;
    else throw new UsageError(CODE, `unknown option ${arg}`);
  }
  return options;
}

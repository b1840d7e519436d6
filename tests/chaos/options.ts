import { eachArgument, UsageError, wholeNumber } from '../performance/command-line.js';
import { SCENARIO_NAMES } from './scenarios.js';

const CODE = 'CHAOS_USAGE';

/** The command line of `npm run chaos`. */
export interface ChaosOptions {
  /** Runs in each scenario's round, and how many are in flight at once. */
  runs: number;
  concurrency: number;
  /** The scenarios to run, in this order. */
  scenarios: string[];
  /** Everything stops after this long and reports what it has. */
  maxMs: number;
  quick: boolean;
  help: boolean;
}

export const FULL = { runs: 100, concurrency: 10, maxMs: 30 * 60_000 };
export const QUICK = { runs: 30, concurrency: 6, maxMs: 15 * 60_000 };

export const USAGE = `usage: npm run chaos -- [--quick] [--scenario NAME[,NAME…]] [--runs N] [--concurrency C] [--max-minutes T]
  --quick              ${QUICK.runs} runs at ${QUICK.concurrency} per scenario, ${QUICK.maxMs / 60_000} min at most
  --scenario NAME      only these scenarios (repeatable, or comma-separated): ${SCENARIO_NAMES.join(', ')}
  --runs N             runs per scenario (default ${FULL.runs})
  --concurrency C      runs in flight at once (default ${FULL.concurrency})
  --max-minutes T      stop everything after T minutes and report what was measured (default ${FULL.maxMs / 60_000}; --quick ${QUICK.maxMs / 60_000})`;

function scenarioNames(text: string | undefined): string[] {
  const names = (text ?? '').split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !SCENARIO_NAMES.includes(name));
  if (names.length === 0 || unknown.length > 0)
    throw new UsageError(
      CODE,
      `--scenario needs one of ${SCENARIO_NAMES.join(', ')}, not "${unknown.join(',') || (text ?? '')}"`,
    );
  return names;
}

/** Parses the arguments after `npm run chaos --`; throws UsageError naming what is wrong. */
export function parseOptions(args: readonly string[]): ChaosOptions {
  const quick = args.includes('--quick');
  const options: ChaosOptions = {
    ...(quick ? QUICK : FULL),
    scenarios: [],
    quick,
    help: false,
  };
  for (const { arg, flag, value } of eachArgument(args)) {
    if (flag === '--quick') continue;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--scenario') options.scenarios.push(...scenarioNames(value()));
    else if (flag === '--runs') options.runs = wholeNumber(CODE, flag, value(), 1);
    else if (flag === '--concurrency') options.concurrency = wholeNumber(CODE, flag, value(), 1);
    else if (flag === '--max-minutes') options.maxMs = wholeNumber(CODE, flag, value(), 1) * 60_000;
    else throw new UsageError(CODE, `unknown option ${arg}`);
  }
  if (options.scenarios.length === 0) options.scenarios = [...SCENARIO_NAMES];
  options.scenarios = [...new Set(options.scenarios)];
  return options;
}

import { eachArgument, UsageError } from './command-line.js';

/** The command line of `npm run bench`. */
export interface BenchOptions {
  /** Benchmarks to run, by name; empty runs them all. */
  names: string[];
  /** Fewer samples and rounds: a rough reading in a fraction of the time. */
  quick: boolean;
  /** Also write every result, with the machine header, to this JSON file. */
  jsonFile?: string;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--json FILE] [benchmark …]
  --quick      fewer samples and rounds (a rough reading, about a third of the time)
  --json FILE  also write the machine header and every result to FILE (markdown.ts renders it)
  benchmark    run only these (all by default)`;

/** Parses the arguments after `npm run bench --`; throws UsageError on a flag it does not know. */
export function parseOptions(args: readonly string[]): BenchOptions {
  const options: BenchOptions = { names: [], quick: false, help: false };
  for (const { arg, flag, value } of eachArgument(args)) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (flag === '--json') {
      const file = value();
      if (!file) throw new UsageError('BENCH_USAGE', '--json needs a file name');
      options.jsonFile = file;
    } else if (arg.startsWith('-')) throw new UsageError('BENCH_USAGE', `unknown option ${arg}`);
    else options.names.push(arg);
  }
  return options;
}

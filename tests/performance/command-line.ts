/**
 * What the command lines of the measuring scripts (`npm run load`, `npm run chaos`, `npm run
 * bench`) share: the walk over their flags, the checks of a flag's value, the usage error, and
 * the entry point that turns a bad argument into the usage and `main`'s result into the exit code.
 */
import { errorMessage } from '../../src/errors.js';

/** A wrong argument; `code` names the script whose command line it is (`LOAD_USAGE`, …). */
export class UsageError extends Error {
  readonly retryable = false;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One argument: `flag` is it without an inline `=value`; `value()` takes the flag's value. */
export interface Argument {
  arg: string;
  flag: string;
  value(): string | undefined;
}

/** The arguments in order; a flag's value is inline (`--runs=5`) or the next argument (`--runs 5`). */
export function* eachArgument(args: readonly string[]): Generator<Argument> {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg];
    yield { arg, flag: flag as string, value: () => inline ?? args[(i += 1)] };
  }
}

/** `flag`'s value as a whole number of at least `min`; a UsageError with `code` otherwise. */
export function wholeNumber(
  code: string,
  flag: string,
  text: string | undefined,
  min: number,
): number {
  const value = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(value) || value < min)
    throw new UsageError(
      code,
      `${flag} needs a whole number of at least ${min}, not "${text ?? ''}"`,
    );
  return value;
}

/**
 * A script's entry point: parses the arguments after `npm run <script> --`. A bad one prints what
 * is wrong and the usage and exits 64 (EX_USAGE); `--help` prints the usage; otherwise the number
 * `main` returns is the exit code, and `main` throwing is 1.
 */
export function runScript<Options extends { help: boolean }>(
  parseOptions: (args: readonly string[]) => Options,
  usage: string,
  main: (options: Options) => Promise<number>,
): void {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${usage}`);
    process.exit(64);
  }
  if (options.help) {
    console.log(usage);
    return;
  }
  main(options).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

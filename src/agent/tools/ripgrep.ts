import { spawn } from 'node:child_process';
import * as z from 'zod';
import { AtolyeError, errorMessage } from '../../errors.js';

/** Looked up on PATH unless the tool context names another binary. */
export const RIPGREP_BINARY = 'rg';
/** The Debian/Ubuntu package that provides `rg`, named when it is missing. */
export const RIPGREP_PACKAGE = 'ripgrep';

/** Most of rg's error output worth keeping: enough for a regex error with its caret. */
const MAX_STDERR_BYTES = 8 * 1024;
/** rg output read at most; past it the search stops and the counts become lower bounds. */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

/**
 * How the search tool gets its facts out of ripgrep: which files it would search, and the lines
 * that match, streamed from its output so memory stays bounded however much it finds.
 */

/**
 * The flags every search shares, so both runs of a glob search see the same files:
 * - `--no-config`: no RIPGREP_CONFIG_PATH can add flags behind the tool's back;
 * - `.gitignore` honoured in every workspace, a git repository or not (`--no-require-git`), but
 *   never one from above the workspace or the host user's global one, which belong to someone else;
 * - hidden files searched, `.git` never; symlinks not followed (rg's default, no `-L`);
 * - `--sort=path`: the same search gives the same text, which stuck detection compares.
 */
const COMMON_ARGS: readonly string[] = [
  '--no-config',
  '--no-require-git',
  '--no-ignore-parent',
  '--no-ignore-global',
  '--hidden',
  '--glob=!.git',
  '--sort=path',
];

export type RipgrepExit =
  | { kind: 'missing' }
  | {
      kind: 'exited';
      /** 0 found something, 1 found nothing, 2 an error (also when some files were unreadable). */
      exitCode: number | null;
      stderr: string;
      timedOut: boolean;
      /** The output passed MAX_SCANNED_BYTES and rg was stopped. */
      cutShort: boolean;
    };

/** Where and how long rg runs. */
export interface RipgrepRun {
  /** A name looked up on PATH, or a path. */
  binary: string;
  /** The workspace root: rg always searches `.` from there. */
  cwd: string;
  timeoutMs: number;
}

interface RecordOptions extends RipgrepRun {
  /** Byte that ends each record: `\n` for `--json`, NUL for `--files --null`. */
  separator: '\n' | '\0';
  onRecord(record: Buffer): void;
}

/**
 * Spawns rg with an argument array (no shell), hands each output record to `onRecord` as it
 * arrives, and settles when rg has exited. A missing binary is a result, not a throw.
 */
function runRipgrep(args: readonly string[], options: RecordOptions): Promise<RipgrepExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.binary, args, {
      cwd: options.cwd,
      // stdin /dev/null: given no path, rg would read a piped stdin instead of the folder.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    const separator = options.separator.charCodeAt(0);
    // The start of a record whose end has not arrived; joined once, when it does.
    const partial: Buffer[] = [];
    let scanned = 0;
    let stderr = '';
    let timedOut = false;
    let cutShort = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (settled) return;
      settled = true;
      reject(asError(error));
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (cutShort || settled) return;
      scanned += chunk.length;
      try {
        let start = 0;
        for (
          let end = chunk.indexOf(separator);
          end !== -1;
          end = chunk.indexOf(separator, start)
        ) {
          const piece = chunk.subarray(start, end);
          options.onRecord(
            partial.length === 0 ? piece : Buffer.concat([...partial.splice(0), piece]),
          );
          start = end + 1;
        }
        if (start < chunk.length) partial.push(chunk.subarray(start));
      } catch (error) {
        fail(error);
        return;
      }
      if (scanned > MAX_SCANNED_BYTES) {
        cutShort = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (error.code === 'ENOENT') resolve({ kind: 'missing' });
      else reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (partial.length > 0 && !cutShort) {
        try {
          options.onRecord(Buffer.concat(partial));
        } catch (error) {
          reject(asError(error));
          return;
        }
      }
      resolve({
        kind: 'exited',
        exitCode,
        stderr: stderr.slice(0, MAX_STDERR_BYTES),
        timedOut,
        cutShort,
      });
    });
  });
}

function asError(error: unknown): Error {
  return error instanceof Error
    ? error
    : new AtolyeError('SEARCH_FAILED', `reading rg's output failed: ${errorMessage(error)}`);
}

/** rg prints paths under the search root `.` as `./name`; the model sees workspace-relative ones. */
function workspaceRelative(printed: string): string {
  return printed.startsWith('./') ? printed.slice(2) : printed;
}

/**
 * The workspace-relative files rg would search, in path order, limited by `globArgs` (rg
 * `--glob`/`--iglob` arguments). Note that a glob that names a file overrides the ignore rules.
 */
export function rgFiles(
  run: RipgrepRun,
  globArgs: readonly string[],
  onFile: (file: string) => void,
): Promise<RipgrepExit> {
  return runRipgrep([...COMMON_ARGS, '--files', '--null', ...globArgs, '--', '.'], {
    ...run,
    separator: '\0',
    onRecord: (record) => onFile(workspaceRelative(record.toString('utf8'))),
  });
}

/** rg's "arbitrary data": UTF-8 text, or base64 bytes when it is not valid UTF-8. */
const RgData = z.union([z.object({ text: z.string() }), z.object({ bytes: z.string() })]);

/** The `--json` messages read; `context` and `summary` carry nothing the search needs. */
const RgMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('begin'), data: z.object({ path: RgData }) }),
  z.object({
    type: z.literal('match'),
    data: z.object({
      lines: RgData,
      line_number: z.number().int().nullable(),
      submatches: z.array(z.object({ start: z.number().int() })),
    }),
  }),
  z.object({
    type: z.literal('end'),
    data: z.object({ path: RgData, binary_offset: z.number().int().nullable() }),
  }),
  z.object({ type: z.literal('context') }),
  z.object({ type: z.literal('summary') }),
]);

function decode(data: z.infer<typeof RgData>): string {
  return 'text' in data ? data.text : Buffer.from(data.bytes, 'base64').toString('utf8');
}

export interface Hit {
  line: number;
  /** The line without its line end. */
  text: string;
  /** Byte offset of the first match in the line. */
  matchByte: number;
}

export interface FileMatches {
  file: string;
  /** Matching lines in the file; `hits` holds the first of them, as many as there was room for. */
  count: number;
  hits: Hit[];
}

export interface MatchQuery {
  pattern: string;
  ignoreCase: boolean;
  globArgs: readonly string[];
}

export interface MatchSink {
  /** Asked once per file, before its matches: whether they count at all. */
  wants(file: string): boolean;
  /** How many more lines are worth keeping; the rest are only counted. */
  room(): number;
  /** Called once per wanted text file with matches, in path order. */
  onFile(found: FileMatches): void;
}

/** The lines matching `query.pattern`. A file rg finds to be binary part-way is dropped whole. */
export function rgMatches(
  run: RipgrepRun,
  query: MatchQuery,
  sink: MatchSink,
): Promise<RipgrepExit> {
  // Held until the file's `end` message says whether it was text after all.
  let current: (FileMatches & { wanted: boolean }) | null = null;
  const onRecord = (record: Buffer): void => {
    const message = RgMessage.safeParse(JSON.parse(record.toString('utf8')));
    if (!message.success) {
      throw new AtolyeError(
        'SEARCH_FAILED',
        `rg printed a message the search does not understand: ${message.error.message}`,
      );
    }
    const { data: parsed } = message;
    if (parsed.type === 'begin') {
      const file = workspaceRelative(decode(parsed.data.path));
      current = { file, wanted: sink.wants(file), count: 0, hits: [] };
    } else if (parsed.type === 'match' && current?.wanted) {
      current.count += 1;
      if (current.hits.length < sink.room()) {
        current.hits.push({
          line: parsed.data.line_number ?? 0,
          text: decode(parsed.data.lines).replace(/\r?\n$/, ''),
          matchByte: parsed.data.submatches[0]?.start ?? 0,
        });
      }
    } else if (parsed.type === 'end' && current !== null) {
      if (current.wanted && current.count > 0 && parsed.data.binary_offset === null) {
        sink.onFile({ file: current.file, count: current.count, hits: current.hits });
      }
      current = null;
    }
  };
  const args = [
    ...COMMON_ARGS,
    '--json',
    ...(query.ignoreCase ? ['--ignore-case'] : []),
    ...query.globArgs,
    // One argument, `--regexp=…`: a pattern starting with "-" can never be read as a flag.
    `--regexp=${query.pattern}`,
    '--',
    '.',
  ];
  return runRipgrep(args, { ...run, separator: '\n', onRecord });
}

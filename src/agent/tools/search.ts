import { lstat, realpath } from 'node:fs/promises';
import * as z from 'zod';
import { fsFailure, pathRefused } from './fs-errors.js';
import {
  RIPGREP_PACKAGE,
  rgFiles,
  rgMatches,
  type Hit,
  type RipgrepExit,
  type RipgrepRun,
} from './ripgrep.js';
import { defineTool, type Observation, type ToolContext } from './types.js';
import { resolveInside } from './workspace.js';

const schema = z
  .object({
    pattern: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Regular expression (ripgrep/Rust syntax) to find in file contents, e.g. "def test_\\w+" ' +
          'or "TODO". Escape ( [ { . * + ? | with a backslash to match them literally.',
      ),
    glob: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Only files whose path matches this glob: "*.ts" matches names at any depth, a glob with ' +
          'a slash such as "**/*.test.py" or "src/*.py" is relative to path. Without pattern, ' +
          'lists the matching files instead of searching their contents.',
      ),
    path: z
      .string()
      .default('.')
      .describe('Folder (or file) to search, relative to the workspace root; "." for all.'),
    caseInsensitive: z
      .boolean()
      .default(false)
      .describe('Match pattern and glob regardless of letter case.'),
  })
  .refine((args) => args.pattern !== undefined || args.glob !== undefined, {
    message: 'give pattern to search file contents, glob to find files by name, or both',
    path: ['pattern'],
  });

/** Room kept for the header and the closing notice inside the output budget. */
const NOTICE_BYTES = 512;

function inScope(file: string, scope: string): boolean {
  return scope === '.' || file === scope || file.startsWith(`${scope}/`);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A glob with a slash is anchored (gitignore rules); anchor it at the searched folder, not at the
 * workspace root, which is where rg runs. A glob without one matches names at any depth.
 */
export function anchorGlob(glob: string, scope: string): string {
  const negated = glob.startsWith('!');
  let body = (negated ? glob.slice(1) : glob).replace(/^\.\//, '');
  if (scope !== '.' && body.replace(/\/+$/, '').includes('/')) {
    const literal = scope.replace(/[*?[\]{}\\]/g, '\\$&').replace(/^!/, '\\!');
    body = `${literal}/${body.replace(/^\/+/, '')}`;
  }
  return `${negated ? '!' : ''}${body}`;
}

/** Cuts a long line to `max` characters around its first match, marking the cuts with `…`. */
export function clipLine(text: string, matchByte: number, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const matchAt = Array.from(Buffer.from(text).subarray(0, matchByte).toString('utf8')).length;
  const start = Math.max(0, Math.min(matchAt - Math.floor(max / 4), chars.length - max));
  const head = start > 0 ? '…' : '';
  const tail = start + max < chars.length ? '…' : '';
  return `${head}${chars.slice(start, start + max).join('')}${tail}`;
}

function unavailable(): Observation {
  return {
    ok: false,
    code: 'SEARCH_UNAVAILABLE',
    content:
      'search needs ripgrep (rg), which is not installed where the tools run. Install the ' +
      `${RIPGREP_PACKAGE} package (Debian/Ubuntu: apt-get install ${RIPGREP_PACKAGE}); until ` +
      'then, run_command with grep -rn finds text.',
  };
}

/** rg's own error, when it could not search at all (exit code 2 before any result). */
function rgError(stderr: string): Observation | null {
  const message = stderr.trim();
  if (message.includes('regex parse error') || message.includes('error parsing regex')) {
    return {
      ok: false,
      code: 'INVALID_PATTERN',
      content: `The pattern is not a valid regular expression (ripgrep/Rust syntax):\n${message}`,
    };
  }
  if (message.includes('error parsing glob')) {
    return { ok: false, code: 'INVALID_GLOB', content: `The glob is not valid:\n${message}` };
  }
  return null;
}

/** Notes for a search that ended early or reported unreadable files, appended to its results. */
function trouble(exit: Extract<RipgrepExit, { kind: 'exited' }>, timeoutMs: number): string[] {
  const notes: string[] = [];
  if (exit.timedOut) {
    notes.push(
      `[The search stopped after ${timeoutMs / 1000} s, so these results are incomplete; search a sub-folder or use a glob.]`,
    );
  } else if (exit.cutShort) {
    notes.push('[The search produced too much output and was stopped; counts are lower bounds.]');
  } else if (exit.exitCode === 2 && exit.stderr.trim() !== '') {
    const first = exit.stderr.trim().split('\n').slice(0, 3).join('; ');
    notes.push(`[Some files could not be searched: ${first}]`);
  }
  return notes;
}

/** The first lines that fit the output budget. */
function fitted(lines: string[], budgetBytes: number): string[] {
  const shown: string[] = [];
  let used = 0;
  for (const line of lines) {
    used += Buffer.byteLength(line, 'utf8') + 1;
    if (used > budgetBytes) break;
    shown.push(line);
  }
  return shown;
}

interface Scope {
  run: RipgrepRun;
  /** Workspace-relative folder or file searched; '.' for all. */
  scope: string;
  ctx: ToolContext;
}

/**
 * The files rg searches under its ignore rules. Needed with a glob: rg lets `--glob` override
 * the ignore rules, so a file a glob names is kept only when it is in this set too.
 */
async function searchableFiles(run: RipgrepRun): Promise<Set<string> | Observation> {
  const files = new Set<string>();
  const exit = await rgFiles(run, [], (file) => files.add(file));
  if (exit.kind === 'missing') return unavailable();
  if (exit.timedOut || exit.cutShort) {
    return {
      ok: false,
      code: 'SEARCH_TIMED_OUT',
      content: "Listing the workspace's files took too long; search a sub-folder with path.",
    };
  }
  return files;
}

function globArgs(glob: string | undefined, scope: string, caseInsensitive: boolean): string[] {
  if (glob === undefined) return [];
  return [`--${caseInsensitive ? 'iglob' : 'glob'}=${anchorGlob(glob, scope)}`];
}

/** The observation's flags: a search that timed out is not `ok`, whatever it found by then. */
function status(exit: Extract<RipgrepExit, { kind: 'exited' }>): Pick<Observation, 'ok' | 'code'> {
  return exit.timedOut ? { ok: false, code: 'SEARCH_TIMED_OUT' } : { ok: true };
}

async function findFiles(
  { run, scope, ctx }: Scope,
  glob: string,
  caseInsensitive: boolean,
): Promise<Observation> {
  const searchable = await searchableFiles(run);
  if (!(searchable instanceof Set)) return searchable;
  const found: string[] = [];
  const exit = await rgFiles(run, globArgs(glob, scope, caseInsensitive), (file) => {
    if (inScope(file, scope) && searchable.has(file)) found.push(file);
  });
  if (exit.kind === 'missing') return unavailable();
  const invalid = exit.exitCode === 2 ? rgError(exit.stderr) : null;
  if (invalid !== null) return invalid;
  const place = scope === '.' ? '' : ` in ${scope}`;
  const notes = trouble(exit, ctx.limits.searchTimeoutMs);
  if (found.length === 0) {
    return {
      ...status(exit),
      content: [
        `No files match ${JSON.stringify(glob)}${place} (files ignored by .gitignore, and .git, are left out).`,
        ...notes,
      ].join('\n'),
    };
  }
  const shown = fitted(
    found.slice(0, ctx.limits.maxSearchResults),
    ctx.limits.maxOutputBytes - NOTICE_BYTES,
  );
  const left = found.length - shown.length;
  const lines = [
    `${plural(found.length, 'file')} match${found.length === 1 ? 'es' : ''} ${JSON.stringify(glob)}${place}:`,
    ...shown,
  ];
  if (left > 0) {
    lines.push(
      `[${plural(left, 'more file')} not shown; narrow the search with path or a more specific glob.]`,
    );
  }
  return { ...status(exit), content: [...lines, ...notes].join('\n') };
}

async function searchContents(
  { run, scope, ctx }: Scope,
  args: { pattern: string; glob: string | undefined; caseInsensitive: boolean },
): Promise<Observation> {
  let searchable: Set<string> | null = null;
  if (args.glob !== undefined) {
    const listed = await searchableFiles(run);
    if (!(listed instanceof Set)) return listed;
    searchable = listed;
  }
  const kept: (Hit & { file: string })[] = [];
  let total = 0;
  let files = 0;
  const exit = await rgMatches(
    run,
    {
      pattern: args.pattern,
      ignoreCase: args.caseInsensitive,
      globArgs: globArgs(args.glob, scope, args.caseInsensitive),
    },
    {
      wants: (file) => inScope(file, scope) && (searchable === null || searchable.has(file)),
      room: () => ctx.limits.maxSearchResults - kept.length,
      onFile: (found) => {
        kept.push(...found.hits.map((hit) => ({ ...hit, file: found.file })));
        total += found.count;
        files += 1;
      },
    },
  );
  if (exit.kind === 'missing') return unavailable();
  const invalid = exit.exitCode === 2 && total === 0 ? rgError(exit.stderr) : null;
  if (invalid !== null) return invalid;
  const place = `${scope === '.' ? '' : ` in ${scope}`}${args.glob === undefined ? '' : ` (files matching ${JSON.stringify(args.glob)})`}`;
  const notes = trouble(exit, ctx.limits.searchTimeoutMs);
  if (total === 0) {
    return {
      ...status(exit),
      content: [
        `No matches for ${JSON.stringify(args.pattern)}${place}. Files ignored by .gitignore, binary files and .git are not searched.`,
        ...notes,
      ].join('\n'),
    };
  }
  const max = ctx.limits.maxSearchLineChars;
  const shown = fitted(
    kept.map((hit) => `${hit.file}:${hit.line}:${clipLine(hit.text, hit.matchByte, max)}`),
    ctx.limits.maxOutputBytes - NOTICE_BYTES,
  );
  const left = total - shown.length;
  const atLeast = exit.timedOut || exit.cutShort ? 'at least ' : '';
  const lines = [
    `${atLeast}${plural(total, 'matching line')} in ${plural(files, 'file')}${place}:`,
    ...shown,
  ];
  if (left > 0) {
    lines.push(
      `[${atLeast}${plural(left, 'more matching line')} not shown; narrow the search: a sub-folder in path, a glob, or a more specific pattern.]`,
    );
  }
  return { ...status(exit), content: [...lines, ...notes].join('\n') };
}

export const search = defineTool({
  name: 'search',
  description:
    'Search the workspace with ripgrep. With pattern: the lines whose text matches the regular ' +
    'expression, as file:line:text (long lines cut around the match). With glob only: the files ' +
    'whose path matches, e.g. "**/*.test.py". Both: pattern searched only in files matching glob. ' +
    'Honours .gitignore; skips binary files and .git. Results are capped and say how many more ' +
    'there were; narrow with path, glob or a more specific pattern.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    try {
      if ((await lstat(resolved.absolute)).isSymbolicLink()) {
        return {
          ok: false,
          code: 'SYMLINK_NOT_FOLLOWED',
          content: `${resolved.relative} is a symlink; search does not follow symlinks. Search the folder it points to.`,
        };
      }
    } catch (error) {
      return fsFailure(error, resolved.relative);
    }
    // rg always runs at the workspace root and the results are kept to `path`: searching `path`
    // itself would either lose the workspace's .gitignore files above it or, with parent ignore
    // files on, take in those of the directories above the workspace.
    const run: RipgrepRun = {
      binary: ctx.ripgrep,
      cwd: await realpath(ctx.workspace),
      timeoutMs: ctx.limits.searchTimeoutMs,
    };
    const where: Scope = { run, scope: resolved.relative, ctx };
    if (args.pattern === undefined) {
      // The schema's refinement guarantees a glob when there is no pattern.
      return findFiles(where, args.glob ?? '*', args.caseInsensitive);
    }
    return searchContents(where, {
      pattern: args.pattern,
      glob: args.glob,
      caseInsensitive: args.caseInsensitive,
    });
  },
});

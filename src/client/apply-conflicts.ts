/**
 * Why a patch does not apply, file by file, from what git reports: the files a three-way merge
 * left unmerged, and the `error:` lines of `git apply` (read in the C locale) for the rest.
 */

export interface ApplyConflict {
  /** Relative to the folder; empty when git's message names no file. */
  path: string;
  reason: string;
}

const OVERLAP = 'your edits and the thread changes touch the same lines';
const BINARY = 'a binary file that both you and the thread changed';
const DIFFERS =
  'the file differs from the version the thread started from, and git has no common version to merge from';

const PATTERNS: { pattern: RegExp; reason: string | null }[] = [
  { pattern: /^repository lacks the necessary blob/, reason: null },
  { pattern: /^patch failed: (.+):\d+$/, reason: DIFFERS },
  { pattern: /^(.+): patch does not apply$/, reason: DIFFERS },
  {
    pattern: /^(?:binary patch does not apply to|cannot apply binary patch to) '(.+)'/,
    reason: DIFFERS,
  },
  { pattern: /^the patch applies to '(.+)' \(\w+\), which does not match/, reason: DIFFERS },
  {
    pattern: /^(.+): already exists in (?:working directory|index)$/,
    reason: 'already exists in the folder',
  },
  {
    pattern: /^(.+): (?:does not exist in index|No such file or directory)$/,
    reason: 'does not exist in the folder',
  },
  { pattern: /^(.+): wrong type$/, reason: 'is not the kind of file the thread changed' },
  {
    pattern: /^affected file '(.+)' is beyond a symbolic link$/,
    reason: 'is inside a symbolic link',
  },
];

export function conflictsFrom(unmerged: readonly string[], stderr: string): ApplyConflict[] {
  const byPath = new Map<string, string>();
  for (const file of unmerged) byPath.set(file, OVERLAP);
  const unexplained: string[] = [];
  const lines = stderr.split('\n');
  // git names each merge it left conflicted, even when another file's failure stops it writing.
  for (const line of lines) {
    const binary = /^warning: Cannot merge binary files: (.+) \(ours vs\. theirs\)$/.exec(line);
    if (binary?.[1] !== undefined) byPath.set(binary[1], BINARY);
    const merged = /^Applied patch to '(.+)' with conflicts\.$/.exec(line);
    if (merged?.[1] !== undefined && !byPath.has(merged[1])) byPath.set(merged[1], OVERLAP);
  }
  for (const line of lines) {
    if (!line.startsWith('error: ')) continue;
    const message = line.slice('error: '.length);
    const known = PATTERNS.find(({ pattern }) => pattern.test(message));
    if (!known) {
      unexplained.push(message);
      continue;
    }
    const file = known.pattern.exec(message)?.[1];
    if (known.reason !== null && file !== undefined && !byPath.has(file)) {
      byPath.set(file, known.reason);
    }
  }
  const conflicts = [...byPath].map(([file, reason]) => ({ path: file, reason }));
  if (conflicts.length === 0) {
    // Nothing recognised: git's own words are better than a vague "failed".
    const said = unexplained.length > 0 ? unexplained : [stderr.trim() || 'git apply failed'];
    return said.map((reason) => ({ path: '', reason }));
  }
  return conflicts;
}

export function describeConflicts(folder: string, conflicts: readonly ApplyConflict[]): string {
  const files = conflicts.filter((conflict) => conflict.path !== '').length;
  const head =
    files > 0
      ? `the changes do not apply to ${folder}: ${files === 1 ? '1 file conflicts' : `${files} files conflict`}; nothing was changed`
      : `the changes do not apply to ${folder}; nothing was changed`;
  return [
    head,
    ...conflicts.map((conflict) =>
      conflict.path === '' ? `  ${conflict.reason}` : `  ${conflict.path}: ${conflict.reason}`,
    ),
  ].join('\n');
}

/**
 * Reads the unified diff `git diff` writes (the run API's `/diff`, and the `/patch` mail around the
 * same diff): per file its paths, blob ids and modes, whether it is binary, and its hunks. Small on
 * purpose: it knows git's own output (a/ b/ prefixes, C-quoted names, a tab after names with
 * spaces), not every diff tool's. Shared by the dashboard and the VS Code extension.
 */

export interface DiffLine {
  kind: 'added' | 'removed' | 'context' | 'note';
  /** The line as the diff has it, its +, - or space included. */
  text: string;
}

export interface DiffHunk {
  /** The `@@ -a,b +c,d @@` line. */
  header: string;
  lines: DiffLine[];
}

export interface DiffFile {
  /** null for a file the change adds. */
  oldPath: string | null;
  /** null for a file the change deletes. */
  newPath: string | null;
  /**
   * The blob ids of the `index <old>..<new>` line: full with `--full-index` (the patch), abbreviated
   * otherwise; all zeros for no file; null when the diff has no index line (a pure rename).
   */
  oldId: string | null;
  newId: string | null;
  /** Git's file modes (`100644`, `100755`, `120000` for a symlink); null where there is no file. */
  oldMode: string | null;
  newMode: string | null;
  binary: boolean;
  added: number;
  removed: number;
  hunks: DiffHunk[];
}

const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;
// `s`: a name may hold U+2028 and the like, which git (core.quotePath=false) writes as they are.
const HEADER_LINE = /^(rename from|rename to|copy from|copy to|--- |\+\+\+ )(.*)$/s;
const INDEX_LINE = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: ([0-7]{6}))?$/;
const MODE_LINE = /^(old mode|new mode|new file mode|deleted file mode) ([0-7]{6})$/;

export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let hunk: DiffHunk | undefined;
  // What the hunk header says is left on each side: a body line that looks like a header is body.
  let oldLeft = 0;
  let newLeft = 0;
  for (const line of text.split('\n')) {
    if (file && hunk && (oldLeft > 0 || newLeft > 0)) {
      const sign = line[0];
      if (sign === '+') {
        hunk.lines.push({ kind: 'added', text: line });
        file.added++;
        newLeft--;
        continue;
      }
      if (sign === '-') {
        hunk.lines.push({ kind: 'removed', text: line });
        file.removed++;
        oldLeft--;
        continue;
      }
      if (sign === ' ') {
        hunk.lines.push({ kind: 'context', text: line });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (sign !== '\\') oldLeft = newLeft = 0;
    }
    if (hunk && line.startsWith('\\')) {
      hunk.lines.push({ kind: 'note', text: line });
      continue;
    }
    if (line.startsWith('diff --git ')) {
      const name = sameName(line.slice('diff --git '.length));
      file = {
        oldPath: name,
        newPath: name,
        oldId: null,
        newId: null,
        oldMode: null,
        newMode: null,
        binary: false,
        added: 0,
        removed: 0,
        hunks: [],
      };
      files.push(file);
      hunk = undefined;
      continue;
    }
    if (!file) continue;
    const counts = HUNK_HEADER.exec(line);
    if (counts) {
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      oldLeft = counts[1] === undefined ? 1 : Number(counts[1]);
      newLeft = counts[2] === undefined ? 1 : Number(counts[2]);
    } else if (!hunk) {
      readHeaderLine(file, line);
    }
  }
  return files;
}

/** The extended header lines between `diff --git` and the first hunk. */
function readHeaderLine(file: DiffFile, line: string): void {
  const index = INDEX_LINE.exec(line);
  if (index) {
    [, file.oldId = null, file.newId = null] = index;
    if (index[3] !== undefined) file.oldMode = file.newMode = index[3];
    return;
  }
  const mode = MODE_LINE.exec(line);
  if (mode) {
    const [, keyword, value = null] = mode;
    if (keyword === 'old mode' || keyword === 'deleted file mode') file.oldMode = value;
    if (keyword === 'new mode' || keyword === 'new file mode') file.newMode = value;
    if (keyword === 'new file mode') file.oldPath = null;
    if (keyword === 'deleted file mode') file.newPath = null;
    return;
  }
  const [, keyword = '', rest = ''] = HEADER_LINE.exec(line) ?? [];
  if (keyword === 'rename from' || keyword === 'copy from') file.oldPath = pathOf(rest.slice(1));
  else if (keyword === 'rename to' || keyword === 'copy to') file.newPath = pathOf(rest.slice(1));
  else if (keyword === '--- ') file.oldPath = prefixedPath(rest);
  else if (keyword === '+++ ') file.newPath = prefixedPath(rest);
  else if (line.startsWith('Binary files ') || line === 'GIT binary patch') file.binary = true;
}

/** A `--- a/x` or `+++ b/x` name: /dev/null for no file; git adds a tab after a name with a space. */
function prefixedPath(raw: string): string | null {
  const name = raw.startsWith('"') ? unquote(raw) : raw.replace(/\t$/, '');
  return name === '/dev/null' ? null : name.slice(2);
}

function pathOf(raw: string): string {
  return raw.startsWith('"') ? unquote(raw) : raw;
}

/**
 * The one name of `a/x b/x` (a file that kept its name); null when the two differ, where the
 * `rename` or `---`/`+++` lines that follow name them.
 */
function sameName(rest: string): string | null {
  if (rest.startsWith('"')) {
    return unquote(rest).slice(2);
  }
  const half = (rest.length - 1) / 2;
  const first = rest.slice(0, half);
  return Number.isInteger(half) && rest.slice(half + 1) === `b/${first.slice(2)}`
    ? first.slice(2)
    : null;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };

/** A C-quoted name as git writes one (`"a/tab\there"`, octal bytes); what follows it is ignored. */
function unquote(raw: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = 1;
  while (i < raw.length && raw[i] !== '"') {
    const char = raw[i] ?? '';
    if (char !== '\\') {
      const whole = String.fromCodePoint(raw.codePointAt(i) ?? 0);
      bytes.push(...encoder.encode(whole));
      i += whole.length;
      continue;
    }
    const next = raw[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(raw.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 4;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 2;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * How the line tools count lines, so the numbers `read_file` shows are the ones `insert_lines`
 * takes: split on `\n`, and a final newline ends the last line rather than starting another.
 */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Each line prefixed with its number and a tab, like `cat -n`; `first` is the first line's number. */
export function numberLines(lines: readonly string[], first: number): string {
  return lines.map((line, index) => `${first + index}\t${line}`).join('\n');
}

/**
 * The bytes as text, or undefined when rewriting the decoded text would change other bytes (not
 * UTF-8, or binary): an edit of such a file must refuse rather than replace them with U+FFFD.
 */
export function editableText(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  return bytes.includes(0) || !Buffer.from(text, 'utf8').equals(bytes) ? undefined : text;
}

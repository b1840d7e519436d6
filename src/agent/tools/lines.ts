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

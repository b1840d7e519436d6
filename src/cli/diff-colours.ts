/**
 * Colours a unified diff for a terminal: headers bold, hunk ranges cyan, added lines green,
 * removed lines red. Hunk bodies are followed by their line counts, so a removed line that reads
 * "-- x" (shown as "--- x") is red, not mistaken for a file header.
 */

const BOLD = '\x1b[1m';
const CYAN = '\x1b[36m';
const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

export function colourDiff(diff: string): string {
  let oldLeft = 0;
  let newLeft = 0;
  return diff
    .split('\n')
    .map((line) => {
      if (oldLeft > 0 || newLeft > 0) {
        if (line.startsWith('+')) {
          newLeft -= 1;
          return paint(GREEN, line);
        }
        if (line.startsWith('-')) {
          oldLeft -= 1;
          return paint(RED, line);
        }
        if (line.startsWith('\\')) return line; // "\ No newline at end of file"
        oldLeft -= 1;
        newLeft -= 1;
        return line;
      }
      const hunk = HUNK.exec(line);
      if (hunk) {
        oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
        newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
        return paint(CYAN, line);
      }
      // A "\ No newline" marker can follow a hunk's last line.
      return line === '' || line.startsWith('\\') ? line : paint(BOLD, line);
    })
    .join('\n');
}

function paint(colour: string, line: string): string {
  return `${colour}${line}${RESET}`;
}

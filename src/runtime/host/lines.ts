import type { Readable } from 'node:stream';

/** Stack frames (JS and native), V8 crash-report banners and Node's version footer. */
const NOISE = /^\s+at |^\s*\d+: 0x|^Node\.js v\d|^\s*(-----|<---)/;

/** Longest line kept whole; a process that prints megabytes without a newline is cut, not buffered. */
const MAX_LINE_CHARS = 16_384;

/**
 * Calls `onLine` for each line a child writes to one of its pipes (the last one too, when the
 * stream ends without a newline). Blank lines are skipped: they carry nothing worth a log record.
 */
export function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let text = rest + chunk;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      emit(text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    if (text.length > MAX_LINE_CHARS) {
      emit(text);
      text = '';
    }
    rest = text;
  });
  stream.on('end', () => {
    if (rest) emit(rest);
    rest = '';
  });
  function emit(line: string): void {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed.trim() !== '')
      onLine(trimmed.length > MAX_LINE_CHARS ? `${trimmed.slice(0, MAX_LINE_CHARS)}…` : trimmed);
  }
}

/** The last `size` lines seen, for error messages that quote what a dying process printed. */
export class LineTail {
  private readonly lines: string[] = [];

  constructor(private readonly size = 20) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  all(): string[] {
    return [...this.lines];
  }

  last(): string | undefined {
    return this.lines.at(-1);
  }

  /**
   * The line that best says why a process died: V8's `FATAL ERROR: …`, else the last
   * `SomethingError: …` line of a stack trace, else the last line that is not a stack frame,
   * a banner of V8's crash report or Node's version footer.
   */
  summary(): string | undefined {
    const found =
      this.lines.findLast((line) => line.startsWith('FATAL ERROR:')) ??
      this.lines.findLast((line) => /^\s*(Uncaught )?[\w.$]*(Error|Exception)\b.*:/.test(line)) ??
      this.lines.findLast((line) => !NOISE.test(line));
    return found?.trim();
  }
}

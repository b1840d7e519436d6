import { FIXED_FIELDS, logContextSchema, type LogLevel, type LogRecord } from './record.js';

/** One line of a channel file. Records are JSON-ready once redacted, so this cannot throw. */
export function jsonLine(record: LogRecord): string {
  return JSON.stringify(record);
}

const LEVEL_COLOR: Readonly<Record<LogLevel, number>> = {
  error: 31,
  warn: 33,
  info: 32,
  debug: 34,
};
const CONTEXT_FIELDS = Object.keys(logContextSchema.shape);
const HIDDEN = new Set<string>([...FIXED_FIELDS, ...CONTEXT_FIELDS]);

/**
 * The human form of a record for a developer's terminal:
 * `12:00:01.234 INFO  agent  planned the task  runId=r1 step=plan {"files":3}`, then the stack of
 * any logged error on the following lines.
 */
export function prettyLine(record: LogRecord, colors: boolean): string {
  const paint = (code: number, text: string): string =>
    colors ? `\x1b[${code}m${text}\x1b[0m` : text;
  const parts = [
    paint(2, record.ts.slice(11, 23)),
    paint(LEVEL_COLOR[record.level], record.level.toUpperCase().padEnd(5)),
    paint(36, record.channel),
    record.msg,
  ];
  const context = CONTEXT_FIELDS.filter((key) => typeof record[key] === 'string').map(
    (key) => `${key}=${String(record[key])}`,
  );
  if (context.length > 0) parts.push(paint(2, context.join(' ')));

  const fields: Record<string, unknown> = {};
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key)) continue;
    if (isSerializedError(value)) {
      const { stack, ...rest } = value;
      fields[key] = rest;
      stacks.push(stack);
    } else {
      fields[key] = value;
    }
  }
  if (Object.keys(fields).length > 0) parts.push(JSON.stringify(fields));
  const indented = stacks.map((stack) => stack.replace(/^/gm, '    '));
  return [parts.join('  '), ...indented].join('\n');
}

function isSerializedError(value: unknown): value is { stack: string; [field: string]: unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { stack?: unknown }).stack === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

import * as z from 'zod';
import { readBounded } from './bounded-read.js';
import { pathRefused } from './fs-errors.js';
import { capText } from './truncate.js';
import { defineTool } from './types.js';
import { resolveInside } from './workspace.js';

const schema = z
  .object({
    path: z.string().describe('File path relative to the workspace root.'),
    startLine: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .describe('First line to show (1-based).'),
    endLine: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .optional()
      .describe('Last line to show, inclusive.'),
  })
  .refine((a) => a.startLine === undefined || a.endLine === undefined || a.endLine >= a.startLine, {
    message: 'endLine must be greater than or equal to startLine',
    path: ['endLine'],
  });

/** Splits into lines keeping a trailing newline from producing a phantom last line. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export const readFileTool = defineTool({
  name: 'read_file',
  description:
    'Read a text file from the workspace. Optionally give startLine and endLine (1-based, ' +
    'inclusive) to read part of a large file. Very long output is cut in the middle.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    const rel = resolved.relative;
    const read = await readBounded(
      resolved.absolute,
      rel,
      ctx.limits.maxFileBytes,
      'read limit; use run_command (head, grep, sed -n) to look at parts of it.',
    );
    if (!('bytes' in read)) return read;
    const { bytes } = read;
    if (bytes.subarray(0, 8192).includes(0)) {
      return {
        ok: false,
        code: 'binary_file',
        content: `${rel} looks binary (${bytes.length} bytes); not shown.`,
      };
    }
    const text = bytes.toString('utf8');

    const lines = splitLines(text);
    const total = text === '' ? 0 : lines.length;
    let header = `${rel} (${total} lines)`;
    let body = text;
    if (args.startLine !== undefined || args.endLine !== undefined) {
      const start = args.startLine ?? 1;
      const end = Math.min(args.endLine ?? total, total);
      if (start > total) {
        return {
          ok: false,
          code: 'line_out_of_range',
          content: `${rel} has ${total} lines; startLine ${start} is past the end.`,
        };
      }
      body = lines.slice(start - 1, end).join('\n');
      header = `${rel} (lines ${start}-${end} of ${total})`;
    }
    const capped = capText(body, ctx.limits.maxOutputBytes);
    const note =
      capped.omittedBytes > 0
        ? `\n[Output cut: ${capped.omittedBytes} bytes omitted; read smaller ranges with startLine/endLine.]`
        : '';
    return { ok: true, content: `${header}\n${capped.text}${note}` };
  },
});

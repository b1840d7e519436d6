import * as z from 'zod';
import { readBounded } from './bounded-read.js';
import { pathRefused } from './fs-errors.js';
import { numberLines, splitLines } from './lines.js';
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

export const readFileTool = defineTool({
  name: 'read_file',
  description:
    'Read a text file from the workspace. Each line is shown after its number and a tab ' +
    '("12<TAB>text"); the numbers are not part of the file, so leave them out of edit_file\'s ' +
    'oldText. Optionally give startLine and endLine (1-based, inclusive) to read part of a ' +
    'large file. Very long output is cut in the middle.',
  schema,
  async run(args, ctx) {
    const resolved = await resolveInside(ctx.workspace, args.path);
    if (!resolved.ok) return pathRefused(resolved);
    const rel = resolved.relative;
    const read = await readBounded(
      resolved.absolute,
      rel,
      ctx.limits.maxFileBytes,
      'read limit; find lines in it with search, or look at parts with run_command (head, sed -n).',
    );
    if (!('bytes' in read)) return read;
    const { bytes } = read;
    if (bytes.subarray(0, 8192).includes(0)) {
      return {
        ok: false,
        code: 'BINARY_FILE',
        content: `${rel} looks binary (${bytes.length} bytes); not shown.`,
      };
    }
    const text = bytes.toString('utf8');

    const lines = splitLines(text);
    const total = lines.length;
    let header = `${rel} (${total} lines)`;
    let start = 1;
    let end = total;
    if (args.startLine !== undefined || args.endLine !== undefined) {
      start = args.startLine ?? 1;
      end = Math.min(args.endLine ?? total, total);
      if (start > total) {
        return {
          ok: false,
          code: 'LINE_OUT_OF_RANGE',
          content: `${rel} has ${total} lines; startLine ${start} is past the end.`,
        };
      }
      header = `${rel} (lines ${start}-${end} of ${total})`;
    }
    const body = numberLines(lines.slice(start - 1, end), start);
    const capped = capText(body, ctx.limits.maxOutputBytes);
    const note =
      capped.omittedBytes > 0
        ? `\n[Output cut: ${capped.omittedBytes} bytes omitted; read smaller ranges with startLine/endLine.]`
        : '';
    return { ok: true, content: `${header}\n${capped.text}${note}` };
  },
});

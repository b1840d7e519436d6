import { writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { readEditable } from './editable.js';
import { fsFailure } from './fs-errors.js';
import { splitLines } from './lines.js';
import { defineTool } from './types.js';

const schema = z.object({
  path: z.string().describe('File path relative to the workspace root; the file must exist.'),
  afterLine: z
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .describe('Line number (as read_file shows it) to insert after; 0 inserts at the top.'),
  text: z
    .string()
    .min(1)
    .describe('The lines to insert, with their indentation; a final newline is added if missing.'),
});

export const insertLines = defineTool({
  name: 'insert_lines',
  description:
    'Insert lines into an existing file after a given line number (0 = at the top; the last ' +
    'line number appends at the end), leaving every other line as it is. Use the line numbers ' +
    'read_file shows. On any error the file is left untouched.',
  schema,
  async run(args, ctx) {
    const file = await readEditable(args.path, ctx, 'insert_lines');
    if (!('text' in file)) return file;
    const { absolute, rel, text } = file;
    const total = splitLines(text).length;
    if (args.afterLine > total) {
      return {
        ok: false,
        code: 'LINE_OUT_OF_RANGE',
        content: `${rel} has ${total} lines; afterLine ${args.afterLine} is past the end (use ${total} to append). File unchanged.`,
      };
    }
    // A file written with CRLF line ends gets CRLF lines, not a mix.
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    let inserted = args.text.replace(/\r?\n/g, eol);
    if (!inserted.endsWith(eol)) inserted += eol;
    let at = 0;
    for (let line = 0; line < args.afterLine; line += 1) {
      const newline = text.indexOf('\n', at);
      at = newline === -1 ? text.length : newline + 1;
    }
    // Appending after a last line that has no newline of its own: end that line first.
    const before = at === text.length && text !== '' && !text.endsWith('\n') ? eol : '';
    const updated = text.slice(0, at) + before + inserted + text.slice(at);
    try {
      await writeFile(absolute, updated, 'utf8');
    } catch (error) {
      return fsFailure(error, rel);
    }
    const count = splitLines(inserted).length;
    const position = args.afterLine === 0 ? 'at the top' : `after line ${args.afterLine}`;
    return {
      ok: true,
      content: `Inserted ${count} line${count === 1 ? '' : 's'} into ${rel} ${position} (now lines ${args.afterLine + 1}-${args.afterLine + count} of ${total + count}).`,
      filesChanged: [rel],
    };
  },
});

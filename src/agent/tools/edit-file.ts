import { writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { readEditable } from './editable.js';
import { fsFailure } from './fs-errors.js';
import { defineTool } from './types.js';

const schema = z.object({
  path: z.string().describe('File path relative to the workspace root.'),
  oldText: z
    .string()
    .min(1)
    .describe('Exact text to replace, including whitespace; must occur exactly once in the file.'),
  newText: z.string().describe('Text to put in its place.'),
});

/** Counts occurrences, overlapping ones too: any overlap makes the replacement ambiguous. */
export function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) count += 1;
  return count;
}

export const editFile = defineTool({
  name: 'edit_file',
  description:
    'Replace one exact occurrence of oldText with newText in a file. oldText must match the file ' +
    'exactly (whitespace included) and occur exactly once; include surrounding lines to make it ' +
    'unique. If it does not, the file is left untouched and you are told how many matches there were.',
  schema,
  async run(args, ctx) {
    const file = await readEditable(
      args.path,
      ctx,
      'edit_file',
      '; use run_command with a tool made for it',
    );
    if (!('text' in file)) return file;
    const { absolute, rel, text } = file;
    const matches = countOccurrences(text, args.oldText);
    if (matches === 0) {
      return {
        ok: false,
        code: 'NO_MATCH',
        content: `oldText was not found in ${rel} (0 matches); file unchanged. Read the file and copy the text exactly, including indentation.`,
      };
    }
    if (matches > 1) {
      return {
        ok: false,
        code: 'AMBIGUOUS_MATCH',
        content: `oldText occurs ${matches} times in ${rel}; file unchanged. Include more surrounding lines so it matches exactly once.`,
      };
    }
    const at = text.indexOf(args.oldText);
    const updated = text.slice(0, at) + args.newText + text.slice(at + args.oldText.length);
    try {
      await writeFile(absolute, updated, 'utf8');
    } catch (error) {
      return fsFailure(error, rel);
    }
    const line = text.slice(0, at).split('\n').length;
    return {
      ok: true,
      content: `Edited ${rel}: replaced 1 occurrence at line ${line}.`,
      filesChanged: [rel],
    };
  },
});

import * as z from 'zod';
import { defineTool } from './types.js';

const schema = z.object({
  summary: z
    .string()
    .min(1)
    .describe('What you changed and how you checked it, for the person who asked.'),
});

export const finish = defineTool({
  name: 'finish',
  description:
    'Call when the task is complete and checked. Give a short summary of what changed and how ' +
    'you verified it. Do not call other tools in the same turn.',
  schema,
  async run(args) {
    return { ok: true, done: true, summary: args.summary, content: `Finished: ${args.summary}` };
  },
});

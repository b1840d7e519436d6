import * as z from 'zod';

/** The reply to `POST /threads/{id}/import`: one definition for the API, its document and clients. */
export const ImportResult = z
  .object({
    thread_id: z.string(),
    source: z.union([
      z.object({ type: z.literal('archive'), format: z.string() }),
      z.object({ type: z.literal('git'), url: z.string(), ref: z.string() }),
    ]),
    files: z.number().int(),
    bytes: z.number().int(),
    baseline: z.string().describe('the commit the diff is taken against'),
  })
  .meta({ id: 'ImportResult' });
export type ImportResult = z.infer<typeof ImportResult>;

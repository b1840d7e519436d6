import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { AtolyeError, errorMessage } from '../../errors.js';

const toolCallSchema = z.strictObject({
  name: z.string().min(1),
  /** An object is sent as its JSON; a string is sent verbatim (malformed or unusual argument text). */
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]),
});

const usageSchema = z.strictObject({
  prompt_tokens: z.int().nonnegative(),
  completion_tokens: z.int().nonnegative(),
});

const replySchema = z
  .strictObject({
    content: z.string().optional(),
    tool_calls: z.array(toolCallSchema).min(1).optional(),
  })
  .refine((reply) => reply.content !== undefined || reply.tool_calls !== undefined, {
    message: 'a reply needs "content", "tool_calls" or both',
  });

const replyTurnSchema = z.strictObject({
  reply: replySchema,
  usage: usageSchema.optional(),
});

const turnSchema = replyTurnSchema.extend({
  match: z
    .strictObject({
      contains: z.string().optional(),
      role: z.enum(['user', 'tool']).optional(),
    })
    .optional(),
});

export const scriptSchema = z.strictObject({
  /** The model id the server reports; clients may ask for any model name. */
  model: z.string().min(1).default('mock'),
  turns: z.array(turnSchema),
  /** Served, without a match, whenever the turns have run out. */
  fallback: replyTurnSchema.optional(),
});

/** A script as written in the JSON file. */
export type ScriptInput = z.input<typeof scriptSchema>;
export type Script = z.infer<typeof scriptSchema>;
export type Turn = z.infer<typeof turnSchema>;
export type ReplyTurn = z.infer<typeof replyTurnSchema>;
export type Usage = z.infer<typeof usageSchema>;

/** Validates a script, naming the first wrong field in the error. */
export function parseScript(value: unknown, source = 'script'): Script {
  const result = scriptSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length > 0 ? fieldPath(issue.path) : '(root)'}: ${issue.message}`,
  );
  throw new AtolyeError('MOCK_LLM_SCRIPT_INVALID', `${source} is invalid: ${problems.join('; ')}`);
}

/** Reads and validates a script file. */
export async function loadScript(file: string): Promise<Script> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AtolyeError(
      'MOCK_LLM_SCRIPT_UNREADABLE',
      `cannot read mock-llm script ${file}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AtolyeError(
      'MOCK_LLM_SCRIPT_INVALID',
      `mock-llm script ${file} is not valid JSON: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return parseScript(json, `mock-llm script ${file}`);
}

function fieldPath(path: PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

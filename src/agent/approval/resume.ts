import * as z from 'zod';
import type { ToolCall } from '../graph/steps.js';

/**
 * A person's answer to held tool calls, sent as LangGraph's `command.resume`: approve (maybe with
 * edited arguments for some calls) or reject with a reason the model is told.
 */
export const ApprovalAnswer = z.strictObject({
  approved: z.boolean({ message: 'approved must be true or false' }),
  reason: z.string().max(2_000, { message: 'keep the reason under 2,000 characters' }).optional(),
  edits: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'New arguments per tool call id, replacing what the model proposed.' }),
});
export type ApprovalAnswer = z.infer<typeof ApprovalAnswer>;

/** What an interrupt for approval carries (`tasks[].interrupts[].value`). */
export interface ApprovalRequest {
  tool_calls: { id: string; name: string; args: unknown; reason: string }[];
  reason: string;
}

export interface Decision {
  /** The held calls to run, with any edits applied. */
  approved: ToolCall[];
  /** The held calls never to run, each with the tool result the model is shown. */
  rejected: { call: ToolCall; message: string }[];
  /** Calls whose arguments a person changed: the model is told so. */
  edited: Set<string>;
}

/**
 * Applies an answer to the held calls. An answer that is not a valid approval (a hand-made resume
 * value) rejects them all, saying why: a held call never runs without a clear yes.
 */
export function decide(held: readonly ToolCall[], answer: unknown): Decision {
  const parsed = ApprovalAnswer.safeParse(answer);
  if (!parsed.success || !parsed.data.approved) {
    const why = parsed.success
      ? (parsed.data.reason ?? 'no reason given')
      : `the answer was not an approval (${JSON.stringify(answer)?.slice(0, 200)})`;
    return {
      approved: [],
      rejected: held.map((call) => ({
        call,
        message: `A person rejected this ${call.name} call; it was not run. Reason: ${why}`,
      })),
      edited: new Set(),
    };
  }
  const edits = parsed.data.edits ?? {};
  const edited = new Set(Object.keys(edits).filter((id) => held.some((call) => call.id === id)));
  return {
    approved: held.map((call) => (edited.has(call.id) ? { ...call, args: edits[call.id] } : call)),
    rejected: [],
    edited,
  };
}

/** Edits naming no held call: refused before the run starts, so a typo does not pass unnoticed. */
export function unknownEdits(held: readonly { id: string }[], answer: ApprovalAnswer): string[] {
  return Object.keys(answer.edits ?? {}).filter((id) => !held.some((call) => call.id === id));
}

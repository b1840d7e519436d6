import * as z from 'zod';
import type { ApprovalAnswer } from '../agent/approval/resume.js';
import { ThreadState } from '../orchestrator/api/schemas.js';
import { call, parseReply, type Api } from './run-api.js';
import { oneLine } from './text.js';

/**
 * Where a paused thread stands, for every client that answers it (the CLI, the VS Code
 * extension): the tool calls it holds for a person, or the steps a breakpoint stopped before.
 */

export type { ApprovalAnswer };

/** One held call, as the interrupt's value lists it (`tasks[].interrupts[].value.tool_calls`). */
export const HeldCall = z.object({
  id: z.string(),
  name: z.string(),
  args: z.unknown(),
  reason: z.string(),
});
export type HeldCall = z.infer<typeof HeldCall>;

const Interrupts = z.object({
  interrupts: z.array(z.looseObject({ value: z.unknown() })).catch([]),
});
const ApprovalRequest = z.looseObject({ tool_calls: z.array(HeldCall) });

export type Pause =
  /** Tool calls wait for a person's yes or no. */
  | { kind: 'approval'; calls: HeldCall[] }
  /** A breakpoint of the run stopped the graph before `next`. */
  | { kind: 'breakpoint'; next: string[] };

/** What `threadId` waits for, or undefined when it is not paused. */
export async function pauseOf(api: Api, threadId: string): Promise<Pause | undefined> {
  const state = parseReply(
    api,
    ThreadState,
    await call(api, () => api.client.threads.getState(threadId)),
  );
  if (state.next.length === 0) return undefined;
  const calls = state.tasks.flatMap((task) => {
    const parsed = Interrupts.safeParse(task);
    if (!parsed.success) return [];
    return parsed.data.interrupts.flatMap((interrupt) => {
      const request = ApprovalRequest.safeParse(interrupt.value);
      return request.success ? request.data.tool_calls : [];
    });
  });
  return calls.length > 0 ? { kind: 'approval', calls } : { kind: 'breakpoint', next: state.next };
}

/** A held call as a person recognises it: the tool and its command or path. */
export function describeCall(held: Pick<HeldCall, 'name' | 'args'>): string {
  const args = (held.args ?? {}) as Record<string, unknown>;
  if (typeof args.command === 'string') return `${held.name}: ${oneLine(args.command, 200)}`;
  if (typeof args.path === 'string') return `${held.name} ${oneLine(args.path, 200)}`;
  const json = JSON.stringify(held.args ?? {});
  return json === '{}' ? held.name : `${held.name} ${oneLine(json, 200)}`;
}

/** The held calls, numbered, each with its id (to edit it) and why it waits. */
export function describeHeldCalls(calls: readonly HeldCall[]): string[] {
  return calls.flatMap((held, index) => [
    `  ${index + 1}. [${held.id}] ${describeCall(held)}`,
    `     why: ${oneLine(held.reason, 200)}`,
  ]);
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

import { interrupt, type LangGraphRunnableConfig } from '@langchain/langgraph';
import {
  APPROVAL_POLICIES,
  decide,
  type ApprovalPolicy,
  type ApprovalRequest,
  type HeldCall,
} from '../approval/index.js';
import { storedToolMessage } from '../steps/stored-messages.js';
import type { StepOutput, ToolCall, ToolResult } from './steps.js';

/**
 * The pause before a `tools` step: the calls the run's approval policy holds go to a person as a
 * LangGraph interrupt (`tasks[].interrupts[].value`); the run resumes with their answer
 * (`command.resume`). Approved calls go to `tools` with the orchestrator's signature; rejected
 * ones never run, and the model reads the rejection as their result.
 */

export interface ApprovalGate {
  /** The calls `policy` holds, each with why; the orchestrator knows the rules and the workspace. */
  held(calls: readonly ToolCall[], policy: ApprovalPolicy, threadId: string): Promise<HeldCall[]>;
  /** The signature the `tools` function checks before it runs an approved held call. */
  sign(threadId: string, call: ToolCall): string;
  /** The policy of a run that names none in `configurable.approval`. */
  defaultPolicy: ApprovalPolicy;
}

export interface GatedCalls {
  policy: ApprovalPolicy;
  /** What goes to the `tools` function, edits applied, in the model's order. */
  toRun: ToolCall[];
  approvals: Record<string, string>;
  /** The rejected calls' results, for the model and the stuck check. */
  rejected: ToolResult[];
  /** Ids of calls a person edited: their results say so. */
  edited: Set<string>;
}

export function policyOf(config: LangGraphRunnableConfig, gate: ApprovalGate): ApprovalPolicy {
  const asked: unknown = config.configurable?.approval;
  return (APPROVAL_POLICIES as readonly unknown[]).includes(asked)
    ? (asked as ApprovalPolicy)
    : gate.defaultPolicy;
}

/** Holds what the policy holds (pausing the run the first time through), then applies the answer. */
export async function gateCalls(
  calls: readonly ToolCall[],
  threadId: string,
  config: LangGraphRunnableConfig,
  gate: ApprovalGate | undefined,
): Promise<GatedCalls> {
  const policy = gate ? policyOf(config, gate) : 'never';
  const held = gate ? await gate.held(calls, policy, threadId) : [];
  if (held.length === 0 || gate === undefined) {
    return { policy, toRun: [...calls], approvals: {}, rejected: [], edited: new Set() };
  }
  const request: ApprovalRequest = {
    tool_calls: held.map(({ call, reason }) => ({
      id: call.id,
      name: call.name,
      args: call.args,
      reason,
    })),
    reason:
      held.length === 1
        ? `${held[0]?.call.name} waits for approval: ${held[0]?.reason}`
        : `${held.length} tool calls wait for approval (approval "${policy}")`,
  };
  // Throws the first time (the run pauses); on resume, returns the person's answer.
  const decision = decide(
    held.map(({ call }) => call),
    interrupt(request),
  );
  const rejectedIds = new Set(decision.rejected.map(({ call }) => call.id));
  const approved = new Map(decision.approved.map((call) => [call.id, call]));
  const toRun = calls
    .filter((call) => !rejectedIds.has(call.id))
    .map((call) => approved.get(call.id) ?? call);
  const approvals = Object.fromEntries(
    decision.approved.map((call) => [call.id, gate.sign(threadId, call)]),
  );
  const rejected = decision.rejected.map(({ call, message }) => ({
    id: call.id,
    name: call.name,
    ok: false,
    content: message,
    code: 'REJECTED',
  }));
  return { policy, toRun, approvals, rejected, edited: decision.edited };
}

/** The `tools` output with the rejected calls' results put back in the model's call order. */
export function mergeRejected(
  calls: readonly ToolCall[],
  output: StepOutput<'tools'>,
  gated: GatedCalls,
): StepOutput<'tools'> {
  const ran = new Map(output.results.map((result, index) => [result.id, index]));
  const rejected = new Map(gated.rejected.map((result) => [result.id, result]));
  const results: ToolResult[] = [];
  const messages: StepOutput<'tools'>['messages'] = [];
  for (const call of calls) {
    const refused = rejected.get(call.id);
    if (refused) {
      results.push(refused);
      messages.push(storedToolMessage({ id: call.id, name: call.name, content: refused.content }));
      continue;
    }
    const index = ran.get(call.id);
    const result = index === undefined ? undefined : output.results[index];
    const message = index === undefined ? undefined : output.messages[index];
    if (result === undefined || message === undefined) continue;
    if (!gated.edited.has(call.id)) {
      results.push(result);
      messages.push(message);
      continue;
    }
    const args = gated.toRun.find((c) => c.id === call.id)?.args;
    const note = `A person edited this call's arguments before it ran, to ${JSON.stringify(args)}.\n`;
    results.push({ ...result, content: note + result.content });
    messages.push({
      ...message,
      data: { ...message.data, content: note + String(message.data.content) },
    });
  }
  return { ...output, results, messages };
}

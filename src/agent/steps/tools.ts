import {
  heldCalls,
  stricter,
  verifyApproval,
  type ApprovalPolicy,
  type RiskContext,
  type RiskRules,
} from '../approval/index.js';
import type {
  CommandRecord,
  StepOutput,
  StoredMessageJson,
  ToolCall,
  ToolResult,
} from '../graph/steps.js';
import type { Sandbox } from '../sandbox/factory.js';
import { executeToolCall } from '../tools/execute.js';
import { storedToolMessage } from './stored-messages.js';
import type { StepArgs } from './types.js';

export interface ToolsDeps {
  /** Absolute path of the thread's workspace. */
  workspace: string;
  sandbox: Pick<Sandbox, 'run'>;
  /** Checks held calls for a signed approval; without it (tests of the tools alone) none is held. */
  approval?: ToolsApproval;
}

export interface ToolsApproval {
  threadId: string;
  /** The configured `agent.approval`; a run may only make it stricter. */
  configured: ApprovalPolicy;
  rules: RiskRules;
  /** The approval key (derived from the signing secret); empty when the host gave none. */
  key: string;
  context: RiskContext;
}

/**
 * Why a call may not run: the policy holds it and it carries no approval the orchestrator signed.
 * Checked here, where the action happens, whatever the orchestrator decided.
 */
async function unapproved(
  call: ToolCall,
  input: StepArgs<'tools'>,
  approval: ToolsApproval | undefined,
): Promise<string | null> {
  if (approval === undefined) return null;
  const policy = stricter(approval.configured, input.approval ?? 'never');
  const [held] = await heldCalls([call], policy, approval.rules, approval.context);
  if (held === undefined) return null;
  if (verifyApproval(approval.key, approval.threadId, call, input.approvals?.[call.id]))
    return null;
  return `This ${call.name} call was not run: it needs a person's approval (approval "${policy}": ${held.reason}) and carries none the orchestrator signed.`;
}

/** Runs the calls in order (a later call may read what an earlier one wrote); never throws for a call. */
export async function runTools(
  input: StepArgs<'tools'>,
  deps: ToolsDeps,
): Promise<StepOutput<'tools'>> {
  const messages: StoredMessageJson[] = [];
  const results: ToolResult[] = [];
  const filesChanged = new Set<string>();
  const commandResults: CommandRecord[] = [];
  for (const call of input.toolCalls) {
    const refused = await unapproved(call, input, deps.approval);
    if (refused !== null) {
      messages.push(storedToolMessage({ id: call.id, name: call.name, content: refused }));
      results.push({
        id: call.id,
        name: call.name,
        ok: false,
        content: refused,
        code: 'APPROVAL_MISSING',
      });
      continue;
    }
    const result = await executeToolCall(call, {
      workspace: deps.workspace,
      runCommand: (command, { cwd, timeoutMs }) => deps.sandbox.run(command, { cwd, timeoutMs }),
    });
    const { observation } = result;
    messages.push(
      storedToolMessage({ id: call.id, name: call.name, content: observation.content }),
    );
    results.push({
      id: call.id,
      name: call.name,
      ok: observation.ok,
      content: observation.content,
      ...(observation.code ? { code: observation.code } : {}),
      ...(observation.command
        ? {
            outcome: {
              exitCode: observation.command.exitCode,
              timedOut: observation.command.timedOut,
              stdout: observation.command.stdout,
              stderr: observation.command.stderr,
            },
          }
        : {}),
      durationMs: result.durationMs,
    });
    for (const file of result.filesChanged) filesChanged.add(file);
    if (observation.command) {
      const { command, exitCode, stdout, stderr, timedOut, durationMs } = observation.command;
      commandResults.push({ command, exitCode, stdout, stderr, timedOut, durationMs });
    }
  }
  return {
    messages,
    results,
    filesChanged: [...filesChanged],
    commandResults,
  };
}

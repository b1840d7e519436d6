import type { CommandRecord, StepOutput, StoredMessageJson, ToolResult } from '../graph/steps.js';
import type { Sandbox } from '../sandbox/factory.js';
import { executeToolCall } from '../tools/execute.js';
import { storedToolMessage } from './stored-messages.js';
import type { StepArgs } from './types.js';

export interface ToolsDeps {
  /** Absolute path of the thread's workspace. */
  workspace: string;
  sandbox: Pick<Sandbox, 'run'>;
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

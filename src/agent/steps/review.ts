import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import * as z from 'zod';
import type { CommandRecord, StepOutput } from '../graph/steps.js';
import type { StepArgs } from './types.js';
import { invokeModel } from '../model/index.js';
import { REVIEW_SYSTEM_PROMPT, reviewBrief } from '../prompts.js';
import { capText } from '../tools/index.js';
import { parseJsonReply } from './json-reply.js';
import { textOf, toChatMessages } from './messages.js';
import { callOptions, type ModelStepDeps } from './plan.js';
import type { ToolsDeps } from './tools.js';
import { stepUsage } from './usage.js';

export type ReviewDeps = ModelStepDeps & ToolsDeps;

/** Output kept of each failed check in the feedback: enough to act on, not a flood. */
const FEEDBACK_OUTPUT_BYTES = 2_000;

const ReviewReply = z.object({ done: z.boolean(), feedback: z.string().nullable().default(null) });

/**
 * Runs the plan's checks. All pass → done, without a model call; any fails → the failures are
 * the feedback. Only a plan without checks asks the model to judge.
 */
export async function runReview(
  input: StepArgs<'review'>,
  deps: ReviewDeps,
): Promise<StepOutput<'review'>> {
  const checks = input.plan?.checks ?? [];
  if (checks.length > 0) {
    const commandResults: CommandRecord[] = [];
    for (const check of checks) {
      const result = await deps.sandbox.run(check, { cwd: deps.workspace });
      commandResults.push({
        command: check,
        exitCode: result.exitCode,
        stdout: result.stdout,
        stderr: result.stderr,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
      });
    }
    const failed = commandResults.filter((record) => record.exitCode !== 0 || record.timedOut);
    return {
      done: failed.length === 0,
      feedback: failed.length === 0 ? null : feedbackOf(failed),
      messages: [],
      commandResults,
    };
  }
  const lastAi = toChatMessages(input.messages)
    .filter((m) => AIMessage.isInstance(m))
    .at(-1);
  const reply = await invokeModel(
    deps.model,
    [
      new SystemMessage(REVIEW_SYSTEM_PROMPT),
      new HumanMessage(reviewBrief(input.task, input.filesChanged, lastAi ? textOf(lastAi) : '')),
    ],
    callOptions(deps),
  );
  const parsed = parseJsonReply(textOf(reply.message), ReviewReply);
  const usage = stepUsage(reply.usage, deps.config);
  if (!parsed.ok) {
    // A reviewer that cannot answer in JSON should not end the run as done.
    return {
      done: false,
      feedback: `The reviewer's reply could not be read (${parsed.problem}); check your work and call finish again.`,
      messages: [],
      commandResults: [],
      usage,
    };
  }
  return {
    done: parsed.value.done,
    feedback: parsed.value.done ? null : (parsed.value.feedback ?? 'The task is not done yet.'),
    messages: [],
    commandResults: [],
    usage,
  };
}

function feedbackOf(failed: readonly CommandRecord[]): string {
  const parts = failed.map((record) => {
    const why = record.timedOut ? 'timed out' : `exited with ${record.exitCode ?? 'a signal'}`;
    const output = capText(`${record.stdout}\n${record.stderr}`.trim(), FEEDBACK_OUTPUT_BYTES);
    return `- \`${record.command}\` ${why}${output.text ? `:\n${output.text}` : ''}`;
  });
  return `These checks fail; fix the cause, run them yourself, then call finish:\n${parts.join('\n')}`;
}

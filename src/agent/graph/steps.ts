import * as z from 'zod';
import { APPROVAL_POLICIES } from '../../config/approval.js';

/**
 * The wire contract of the five agent steps: what the orchestrator sends each function and what
 * it accepts back. The function bundles import these same schemas, so both sides agree by
 * construction. Everything here is plain JSON; nothing is revived with `load()`.
 */

export const STEP_NAMES = ['plan', 'act', 'tools', 'review', 'finalize'] as const;
export const StepName = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof StepName>;

/**
 * `StoredMessage` JSON as `mapChatMessagesToStoredMessages` writes it. The transform restores the
 * keys JSON drops when they are undefined, so the parsed value is a `StoredMessage` again.
 */
export const StoredMessageJson = z
  .object({
    type: z.string().min(1),
    data: z.looseObject({
      content: z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]),
      role: z.string().optional(),
      name: z.string().optional(),
      tool_call_id: z.string().optional(),
      additional_kwargs: z.record(z.string(), z.unknown()).optional(),
      response_metadata: z.record(z.string(), z.unknown()).optional(),
      id: z.string().optional(),
    }),
  })
  .transform(({ type, data }) => ({
    type,
    data: {
      ...data,
      // Content blocks stay as they came; the core type only names the string form.
      content: data.content as string,
      role: data.role,
      name: data.name,
      tool_call_id: data.tool_call_id,
    },
  }));
export type StoredMessageJson = z.output<typeof StoredMessageJson>;

export const Plan = z.object({
  steps: z.array(z.string()),
  /** Commands or observations that prove the task done; `review` runs them. */
  checks: z.array(z.string()),
});
export type Plan = z.infer<typeof Plan>;

/** Token usage and cost of one model call, as a step reports it. */
export const StepUsage = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  costUsd: z.number().min(0),
});
export type StepUsage = z.infer<typeof StepUsage>;

export const ToolCall = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  args: z.unknown(),
  /**
   * Set by `act` when the model's arguments cannot be used (not JSON, nested too deep): `tools`
   * answers the call with this text instead of running it, so the model can correct it.
   */
  refused: z.string().optional(),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const CommandRecord = z.object({
  command: z.string(),
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  timedOut: z.boolean(),
  durationMs: z.number().min(0),
});
export type CommandRecord = z.infer<typeof CommandRecord>;

/** How a command ended, without its timing: what stuck detection compares for `run_command`. */
export const CommandOutcome = CommandRecord.pick({
  exitCode: true,
  timedOut: true,
  stdout: true,
  stderr: true,
});
export type CommandOutcome = z.infer<typeof CommandOutcome>;

export const ToolResult = z.object({
  id: z.string(),
  name: z.string(),
  ok: z.boolean(),
  /** The observation text the model reads. */
  content: z.string(),
  code: z.string().optional(),
  /** Set when the call ran a command; its content also carries the duration, this does not. */
  outcome: CommandOutcome.optional(),
  /** Wall-clock time of the call, for the per-call log line; not part of the stuck fingerprint. */
  durationMs: z.number().min(0).optional(),
});
export type ToolResult = z.infer<typeof ToolResult>;

export const RUN_STATUSES = [
  'running',
  'success',
  'error',
  'max_iterations',
  'stuck',
  'budget_exceeded',
  'cancelled',
] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;

export const RunError = z.object({ code: z.string().min(1), message: z.string() });
export type RunError = z.infer<typeof RunError>;

/**
 * The condensed part of a thread's history as the model steps are sent it: a summary the model
 * made of the older turns, and the user's tasks from those turns word for word (newest last), so
 * no earlier task depends on the summary to stay visible.
 */
export const CondensedHistory = z.object({
  summary: z.string(),
  tasks: z.array(z.string()),
});
export type CondensedHistory = z.infer<typeof CondensedHistory>;

/** What one `act` condensed before it called the model, for the state and the `agent` log. */
export const Condensation = CondensedHistory.extend({
  /** How many of the messages `act` was sent (the first ones) the summary now stands for. */
  dropped: z.number().int().min(1),
  /**
   * `model`: the model wrote the summary. `digest`: it could not (an empty reply, or a failure
   * that retrying cannot fix), so a list of the condensed turns' calls stands in for it.
   */
  source: z.enum(['model', 'digest']),
  /** Why the digest stands in, when it does. */
  problem: z.string().optional(),
  /** Input tokens the model reported for the call that made the history cross the threshold. */
  tokensBefore: z.number().int().min(0),
  /** Input tokens the model reported for the first call sent the condensed history. */
  tokensAfter: z.number().int().min(0),
  /** The summary call's own tokens and cost, already part of the step's `usage`. */
  usage: StepUsage.optional(),
});
export type Condensation = z.infer<typeof Condensation>;

/** The chat model a run asks for (an assistant variant's); `model.name` when absent. */
const ModelChoice = { model: z.string().min(1).optional() };

export const PlanInput = z.object({
  ...ModelChoice,
  task: z.string().min(1),
  /** The thread's history after its condensed part. */
  messages: z.array(StoredMessageJson),
  /** Optional: an orchestrator of an earlier release does not send it. */
  condensed: CondensedHistory.nullable().optional(),
});
export const PlanOutput = z.object({
  plan: Plan,
  messages: z.array(StoredMessageJson).default([]),
  usage: StepUsage.optional(),
});

export const ActInput = z.object({
  ...ModelChoice,
  task: z.string(),
  plan: Plan.nullable(),
  /** The thread's history after its condensed part. */
  messages: z.array(StoredMessageJson),
  /** From the last review, when it sent the run back. */
  feedback: z.string().nullable(),
  iteration: z.number().int().min(1),
  /** Optional, like `contextTokens`: an orchestrator of an earlier release sends neither. */
  condensed: CondensedHistory.nullable().optional(),
  /** Input tokens the model reported for the thread's latest `act` call: the history's last size. */
  contextTokens: z.number().int().min(0).optional(),
  /** What the agent has changed so far (`git diff --stat`), from the last `tools` step. */
  workspaceChanges: z.string().nullable().optional(),
});
export const ActOutput = z.object({
  /** New messages only (the model's reply); the graph appends them. */
  messages: z.array(StoredMessageJson).default([]),
  /** Empty when the model called `finish` or answered without tools. */
  toolCalls: z.array(ToolCall).default([]),
  finish: z.object({ summary: z.string() }).nullable().default(null),
  /** Includes the summary call when the step condensed the history. */
  usage: StepUsage.optional(),
  condensation: Condensation.nullable().default(null),
  /** Input tokens the model reported for this step's own call (not the summary call). */
  contextTokens: z.number().int().min(0).optional(),
});

export const ToolsInput = z.object({
  toolCalls: z.array(ToolCall).min(1),
  /** The run's approval policy; `tools` applies the stricter of it and its configured one. */
  approval: z.enum(APPROVAL_POLICIES).optional(),
  /** Per call id, the orchestrator's signature of a person's approval (see agent/approval). */
  approvals: z.record(z.string(), z.string()).optional(),
});
export const ToolsOutput = z.object({
  /** One tool message per call, in call order. */
  messages: z.array(StoredMessageJson),
  results: z.array(ToolResult),
  filesChanged: z.array(z.string()).default([]),
  commandResults: z.array(CommandRecord).default([]),
  /** `git diff --stat` of the workspace against its baseline after the calls; absent without one. */
  workspaceChanges: z.string().optional(),
});

export const ReviewInput = z.object({
  ...ModelChoice,
  task: z.string(),
  plan: Plan.nullable(),
  messages: z.array(StoredMessageJson),
  filesChanged: z.array(z.string()),
  commandResults: z.array(CommandRecord),
});
export const ReviewOutput = z.object({
  done: z.boolean(),
  /** What is still wrong; sent to `act` when `done` is false. */
  feedback: z.string().nullable().default(null),
  messages: z.array(StoredMessageJson).default([]),
  commandResults: z.array(CommandRecord).default([]),
  usage: StepUsage.optional(),
});

export const FinalizeInput = z.object({
  ...ModelChoice,
  task: z.string(),
  plan: Plan.nullable(),
  status: RunStatus,
  error: RunError.nullable(),
  messages: z.array(StoredMessageJson),
  filesChanged: z.array(z.string()),
  commandResults: z.array(CommandRecord),
});
export const FinalizeOutput = z.object({
  summary: z.string(),
  /** The files the run leaves changed, as the step verified them on disk. */
  files: z.array(z.string()).optional(),
  usage: StepUsage.optional(),
});

/** Input and output schema of every step, by name. */
export const STEP_SCHEMAS = {
  plan: { input: PlanInput, output: PlanOutput },
  act: { input: ActInput, output: ActOutput },
  tools: { input: ToolsInput, output: ToolsOutput },
  review: { input: ReviewInput, output: ReviewOutput },
  finalize: { input: FinalizeInput, output: FinalizeOutput },
} as const;

export type StepInput<N extends StepName> = z.input<(typeof STEP_SCHEMAS)[N]['input']>;
export type StepOutput<N extends StepName> = z.output<(typeof STEP_SCHEMAS)[N]['output']>;

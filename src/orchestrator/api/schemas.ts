import * as z from 'zod';
import { ApprovalAnswer } from '../../agent/approval/resume.js';
import { APPROVAL_POLICIES } from '../../config/approval.js';
import { nestsDeeperThan } from '../../json-depth.js';
import { MULTITASK_STRATEGIES } from '../run-records.js';
import { RUN_STATUSES } from '../status.js';
import { isStreamMode, refusalOf, STREAM_MODES } from '../stream-modes.js';

/**
 * The run API's request and response bodies, following LangGraph Platform's resources and field
 * names so that `@langchain/langgraph-sdk` works unchanged. The OpenAPI document is generated
 * from these same schemas (`.meta({ id })` names a component).
 */

export const ASSISTANT_ID = 'atolye';
/** LangGraph Platform identifies assistants by UUID; ours is fixed, and its graph id works too. */
export const ASSISTANT_UUID = 'fe096781-5601-53d2-b2f6-0d3403f7e9ca';

/** Deeper JSON than this is refused: nothing needs it, and storing it would exhaust the stack. */
const MAX_DEPTH = 32;
export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => !nestsDeeperThan(value, MAX_DEPTH), {
    message: `nests deeper than ${MAX_DEPTH} levels`,
  })
  // Kept as JSON text and searched as jsonb on Postgres, which refuses `\u0000`: one such row
  // would fail every metadata search of its table.
  .refine((value) => !holdsNul(value), {
    message:
      'holds a NUL character (\\u0000) in a key or a text, which the store cannot search: leave it out',
  });

/** Whether a key or a string anywhere in `value` holds a NUL character. */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0')) return true;
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\0')) return true;
        pending.push(child);
      }
    }
  }
  return false;
}
const Timestamp = z
  .string()
  .meta({ description: 'ISO 8601 time', example: '2026-11-25T12:00:00.000Z' });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'RUN_NOT_FOUND' }),
      message: z.string(),
      retryable: z.boolean(),
    }),
  })
  .meta({ id: 'Error' });

export { ThreadId } from '../../workspace/thread-id.js';

/** A thread's status, from its runs: see threadStatus() in serialize.ts. */
export const THREAD_STATUSES = ['idle', 'busy', 'interrupted', 'error'] as const;

export const Thread = z
  .object({
    thread_id: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    metadata: Metadata,
    status: z.enum(THREAD_STATUSES),
    values: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'Thread' });

export const ThreadState = z
  .object({
    values: z.record(z.string(), z.unknown()),
    next: z.array(z.string()),
    checkpoint: z.object({
      thread_id: z.string(),
      checkpoint_ns: z.string(),
      checkpoint_id: z.string().nullable(),
    }),
    metadata: Metadata,
    created_at: Timestamp.nullable(),
    parent_checkpoint: z
      .object({ thread_id: z.string(), checkpoint_ns: z.string(), checkpoint_id: z.string() })
      .nullable(),
    tasks: z.array(z.unknown()),
  })
  .meta({ id: 'ThreadState' });

export { STREAM_MODES };
const StreamModeName = z.string().meta({ enum: [...STREAM_MODES] });
// Refined by hand rather than z.enum: the union around it would only say "Invalid input".
const StreamMode = StreamModeName.refine(isStreamMode, {
  error: (issue) => refusalOf([String(issue.input)]),
});

/** The graph's nodes, as `interrupt_before` / `interrupt_after` name them ("*" is all of them). */
export const NODE_NAMES = ['plan', 'act', 'tools', 'review', 'finalize'] as const;
const Breakpoints = z.union([z.literal('*'), z.array(z.enum(NODE_NAMES))], {
  message: `use "*" or a list of nodes among ${NODE_NAMES.join(', ')}`,
});

/**
 * An object that refuses unknown fields by name, listing the fields it takes: a field accepted
 * and dropped would be worse than a refusal.
 */
export function strictBody<S extends z.ZodRawShape>(shape: S) {
  const supported = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const names = issue.keys.map((key) => `"${key}"`).join(', ');
      return `${issue.keys.length === 1 ? 'field' : 'fields'} ${names} not supported; the supported fields are ${supported}`;
    },
  });
}

/** `config.configurable` of a run or an assistant variant: what this agent lets a run choose. */
export const RunConfigurable = strictBody({
  approval: z
    .enum(APPROVAL_POLICIES, { message: `use ${APPROVAL_POLICIES.join(', ')}` })
    .optional()
    .meta({ description: 'Which tool calls wait for a person (agent.approval otherwise).' }),
  model: z
    .string()
    .trim()
    .min(1, { message: 'name a model' })
    .max(200)
    .optional()
    .meta({ description: 'The chat model the model steps ask for (model.name otherwise).' }),
  max_iterations: z.number().int().min(1).max(1000).optional(),
  max_tokens: z.number().int().min(0).optional().meta({ description: '0 = no limit.' }),
  max_cost_usd: z.number().min(0).optional().meta({ description: '0 = no limit.' }),
}).meta({ id: 'AgentConfigurable' });
export type RunConfigurable = z.infer<typeof RunConfigurable>;

export const RunCreate = strictBody({
  assistant_id: z
    .string({ message: `name the assistant: "${ASSISTANT_ID}" or a variant's id` })
    .min(1, { message: `name the assistant: "${ASSISTANT_ID}" or a variant's id` }),
  input: z
    .object({
      task: z
        .string()
        .trim()
        .min(1, { message: 'describe the task' })
        .max(20_000, { message: 'keep the task under 20,000 characters' }),
    })
    .nullable()
    .optional()
    .meta({
      description: 'The task; null (or left out) with `command` or to continue a paused thread.',
    }),
  command: strictBody({
    resume: ApprovalAnswer.meta({
      description: 'The answer to held tool calls: approve (with edits) or reject with a reason.',
    }),
  })
    .optional()
    .meta({
      description: 'Resume a thread paused for approval (LangGraph `Command`); only `resume`.',
    }),
  config: strictBody({ configurable: RunConfigurable.optional() }).optional(),
  checkpoint_id: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Fork: run from this earlier checkpoint; the files come back too.' }),
  checkpoint: strictBody({
    checkpoint_id: z.string().min(1),
    checkpoint_ns: z.literal('', { message: 'this graph has no subgraphs: use ""' }).optional(),
    thread_id: z.string().optional(),
  })
    .optional()
    .meta({ description: 'The fork point as a checkpoint object (the same as checkpoint_id).' }),
  interrupt_before: Breakpoints.optional(),
  interrupt_after: Breakpoints.optional(),
  metadata: Metadata.optional(),
  multitask_strategy: z
    .enum(MULTITASK_STRATEGIES, {
      message: 'use "reject" (the default), "enqueue", "interrupt" or "rollback"',
    })
    .optional(),
  webhook: z.url({ protocol: /^https?$/, message: 'use an http(s) URL' }).optional(),
  if_not_exists: z.enum(['create', 'reject']).optional(),
  stream_mode: z.union([StreamMode, z.array(StreamMode)]).optional(),
}).meta({ id: 'RunCreate' });
export type RunCreate = z.infer<typeof RunCreate>;

export const Usage = z.object({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cost_usd: z.number(),
});

export const Run = z
  .object({
    run_id: z.string(),
    thread_id: z.string(),
    assistant_id: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    status: z.enum(RUN_STATUSES),
    metadata: Metadata,
    multitask_strategy: z.enum(MULTITASK_STRATEGIES),
    kwargs: z.object({ input: z.object({ task: z.string() }), webhook: z.string().nullable() }),
    stop_reason: z.string().nullable().meta({
      description:
        'Why an error or interrupted run stopped: max_iterations, stuck, budget_exceeded, cancelled; approval, interrupt_before or interrupt_after for a paused one.',
    }),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    summary: z.string().nullable(),
    usage: Usage,
    interrupts: z
      .array(z.object({ value: z.unknown(), id: z.string().optional() }))
      .optional()
      .meta({
        description:
          'Set when the run paused for approval (stop_reason "approval"): the held tool calls, as in the thread state\'s tasks[].interrupts.',
      }),
  })
  .meta({ id: 'Run' });

export const RunList = z.array(Run);

export const RunListQuery = strictBody({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(RUN_STATUSES).optional(),
});

export const CancelQuery = strictBody({
  wait: z.enum(['0', '1', 'true', 'false']).optional(),
  action: z
    .enum(['interrupt'], {
      message:
        'only action "interrupt" is supported (a cancelled run keeps its work; "rollback" is a multitask_strategy of the next run)',
    })
    .optional(),
});

/** Checked by the route, which names every refused mode in one message. */
export const StreamQuery = strictBody({
  cancel_on_disconnect: z
    .enum(['0', 'false'], {
      message:
        'a run never stops because its client left: send 0 or leave it out, and cancel the run with POST …/cancel',
    })
    .optional(),
  stream_mode: z
    .union([StreamModeName, z.array(StreamModeName)])
    .optional()
    .meta({
      description: 'Repeat it for several modes; values, updates and custom when left out.',
    }),
});

export const RunValues = z
  .record(z.string(), z.unknown())
  .meta({ id: 'RunValues', description: "The thread's state when the run ended." });

export const Assistant = z
  .object({
    assistant_id: z.string(),
    graph_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    config: z.record(z.string(), z.unknown()),
    context: z.record(z.string(), z.unknown()),
    metadata: Metadata,
    version: z.number(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Assistant' });

export const FileEntry = z
  .object({
    path: z.string(),
    type: z.enum(['file', 'directory']),
    size: z.number(),
  })
  .meta({ id: 'FileEntry' });

export const FileTree = z
  .object({ thread_id: z.string(), files: z.array(FileEntry) })
  .meta({ id: 'FileTree' });

import * as z from 'zod';
import {
  ASSISTANT_ID,
  Metadata,
  RunConfigurable,
  RunCreate,
  strictBody,
  THREAD_STATUSES,
} from './schemas.js';
import { ThreadId } from '../../workspace/thread-id.js';

/**
 * Request and response bodies of the thread and assistant routes beyond schemas.ts: thread
 * patch, copy and search, stateless runs, and assistant variants. Every request body is strict:
 * a field the API does not take is a 400 that names it and lists the ones it takes, never dropped.
 */

const Limit = z.number().int().min(1).max(1000);
const Offset = z.number().int().min(0);
const SortOrder = z.enum(['asc', 'desc']);

export const ThreadCreate = strictBody({
  thread_id: ThreadId.optional().meta({ description: 'A UUID is generated when omitted.' }),
  metadata: Metadata.optional(),
  if_exists: z.enum(['raise', 'do_nothing']).optional(),
}).meta({ id: 'ThreadCreate' });

export const ThreadPatch = strictBody({
  metadata: Metadata.optional().meta({
    description:
      "Merged into the thread's metadata: the keys given replace those with their names.",
  }),
}).meta({ id: 'ThreadPatch' });

export const THREAD_SORT_KEYS = ['thread_id', 'status', 'created_at', 'updated_at'] as const;

export const ThreadSearch = strictBody({
  metadata: Metadata.optional().meta({
    description: 'Only threads whose metadata has each of these keys with exactly this value.',
  }),
  ids: z.array(ThreadId).max(1000).optional(),
  status: z.enum(THREAD_STATUSES).optional(),
  limit: Limit.optional().meta({ description: '10 when omitted.' }),
  offset: Offset.optional(),
  sort_by: z.enum(THREAD_SORT_KEYS).optional().meta({ description: 'updated_at when omitted.' }),
  sort_order: SortOrder.optional().meta({ description: 'desc when omitted.' }),
}).meta({ id: 'ThreadSearch' });
export type ThreadSearch = z.infer<typeof ThreadSearch>;

/** A run without a thread: a temporary thread is made for it and removed after it, by default. */
export const StatelessRunCreate = RunCreate.safeExtend({
  on_completion: z.enum(['delete', 'keep']).optional().meta({
    description:
      'delete (the default): the temporary thread, its workspace and its history go once the run ends; keep: it stays, as any thread of yours.',
  }),
}).meta({ id: 'StatelessRunCreate' });

/**
 * How a run of the agent may be set up: what an assistant variant fixes in `config.configurable`.
 * One definition for the assistant and the run routes, so both take the same keys.
 */
export const AgentConfigurable = RunConfigurable;
export type AgentConfigurable = RunConfigurable;

const AssistantConfig = strictBody({ configurable: AgentConfigurable.optional() });

const GraphId = z.literal(ASSISTANT_ID, {
  error: `the only graph is "${ASSISTANT_ID}"`,
});
const AssistantName = z.string().trim().min(1).max(200);
const Description = z.string().max(2000).nullable();

export const AssistantCreate = strictBody({
  graph_id: GraphId,
  assistant_id: ThreadId.optional().meta({ description: 'A UUID is generated when omitted.' }),
  if_exists: z.enum(['raise', 'do_nothing']).optional(),
  name: AssistantName.optional().meta({ description: '"Untitled" when omitted.' }),
  description: Description.optional(),
  config: AssistantConfig.optional(),
  metadata: Metadata.optional(),
}).meta({ id: 'AssistantCreate' });
export type AssistantCreate = z.infer<typeof AssistantCreate>;

export const AssistantPatch = strictBody({
  graph_id: GraphId.optional(),
  name: AssistantName.optional(),
  description: Description.optional(),
  config: AssistantConfig.optional().meta({ description: 'Replaces the whole config.' }),
  metadata: Metadata.optional().meta({ description: 'Merged into the metadata.' }),
}).meta({ id: 'AssistantPatch' });
export type AssistantPatch = z.infer<typeof AssistantPatch>;

export const ASSISTANT_FIELDS = [
  'assistant_id',
  'graph_id',
  'name',
  'description',
  'config',
  'context',
  'metadata',
  'version',
  'created_at',
  'updated_at',
] as const;
export const ASSISTANT_SORT_KEYS = [
  'assistant_id',
  'graph_id',
  'name',
  'created_at',
  'updated_at',
] as const;

export const AssistantSearch = strictBody({
  graph_id: z.string().optional(),
  name: z.string().optional().meta({ description: 'A case-insensitive part of the name.' }),
  metadata: Metadata.optional(),
  limit: Limit.optional(),
  offset: Offset.optional(),
  sort_by: z.enum(ASSISTANT_SORT_KEYS).optional().meta({ description: 'created_at by default.' }),
  sort_order: SortOrder.optional().meta({ description: 'desc by default.' }),
  select: z.array(z.enum(ASSISTANT_FIELDS)).min(1).optional(),
}).meta({ id: 'AssistantSearch' });

export const AssistantDeleteQuery = strictBody({
  delete_threads: z
    .enum(['false', 'true'], { error: 'use true or false' })
    .optional()
    .refine((value) => value !== 'true', {
      message:
        'delete_threads=true is not supported: delete the threads with DELETE /threads/{thread_id}',
    }),
});

export const AssistantGraphQuery = strictBody({
  xray: z
    .string()
    .regex(/^(true|false|\d+)$/, { message: 'use true, false or a depth' })
    .optional()
    .meta({ description: 'Accepted for LangGraph clients; the agent has no subgraphs to show.' }),
});

export const AssistantGraph = z
  .object({
    nodes: z.array(
      z.looseObject({ id: z.union([z.string(), z.number()]), type: z.string().optional() }),
    ),
    edges: z.array(
      z.looseObject({
        source: z.string(),
        target: z.string(),
        conditional: z.boolean().optional(),
      }),
    ),
  })
  .meta({ id: 'AssistantGraph' });

const JsonSchema = z.record(z.string(), z.unknown());
export const AssistantSchemas = z
  .object({
    graph_id: z.string(),
    input_schema: JsonSchema,
    output_schema: JsonSchema,
    state_schema: JsonSchema,
    config_schema: JsonSchema,
    context_schema: JsonSchema,
  })
  .meta({ id: 'AssistantSchemas' });

import * as z from 'zod';
import { Plan, StoredMessageJson } from '../../agent/graph/steps.js';
import { Metadata, NODE_NAMES, strictBody } from './schemas.js';

/**
 * Bodies of the time-travel routes: a thread's history, one checkpoint, and a state update. There
 * are no subgraphs, so a checkpoint is its id (the namespace is always "").
 */

const CheckpointId = z.string().min(1).max(200);

/** LangGraph's checkpoint object; only the root namespace exists here. */
export const CheckpointRef = strictBody({
  checkpoint_id: CheckpointId,
  checkpoint_ns: z.literal('', { message: 'this graph has no subgraphs: use ""' }).optional(),
  thread_id: z.string().optional(),
  checkpoint_map: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .meta({ description: 'Subgraph checkpoints: there are none.' }),
});

export const HistoryQuery = strictBody({
  limit: z.number().int().min(1).max(1000).optional(),
  before: z
    .union([CheckpointId, CheckpointRef, strictBody({ configurable: CheckpointRef })], {
      message: 'name a checkpoint: its id, {checkpoint_id} or {configurable: {checkpoint_id}}',
    })
    .optional(),
  metadata: Metadata.optional().meta({
    description: 'Checkpoints whose metadata has these values (e.g. {"source": "loop"}).',
  }),
}).meta({ id: 'HistoryQuery' });

/** What a person may change in a thread's state; the rest is the agent's own bookkeeping. */
export const StateValues = strictBody({
  task: z.string().trim().min(1).max(20_000).optional(),
  taskPlan: Plan.nullable().optional(),
  feedback: z.string().max(20_000).nullable().optional(),
  summary: z.string().max(20_000).nullable().optional(),
  messages: z
    .array(StoredMessageJson)
    .max(100)
    .optional()
    .meta({ description: 'Appended to the thread’s messages, as a step’s would be.' }),
});

export const StateUpdate = strictBody({
  values: StateValues,
  as_node: z
    .enum(NODE_NAMES, { message: `name a node among ${NODE_NAMES.join(', ')}` })
    .optional()
    .meta({ description: 'The node the update is written as: the graph goes on after it.' }),
  checkpoint_id: CheckpointId.optional(),
  checkpoint: CheckpointRef.optional(),
}).meta({ id: 'StateUpdate' });

export const StateAtCheckpoint = strictBody({
  checkpoint: CheckpointRef,
  subgraphs: z.boolean().optional(),
});

export const StateUpdated = z
  .object({
    checkpoint: z.object({
      thread_id: z.string(),
      checkpoint_ns: z.literal(''),
      checkpoint_id: z.string(),
    }),
  })
  .meta({ id: 'StateUpdated' });

/** The id a `before` names, in any of its forms. */
export function checkpointOf(ref: z.infer<typeof HistoryQuery>['before']): string | undefined {
  if (ref === undefined || typeof ref === 'string') return ref;
  return 'configurable' in ref ? ref.configurable.checkpoint_id : ref.checkpoint_id;
}

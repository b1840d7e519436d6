import * as z from 'zod';
import { scheduleProblem } from '../cron-schedule.js';
import { RunCreate, ThreadId } from './schemas.js';

/**
 * The crons' request and response bodies, in LangGraph Platform's field names (what
 * `client.crons` of `@langchain/langgraph-sdk` sends and reads). A field LangGraph knows and this
 * server does not do is refused by name, never dropped: a client must not believe a setting took.
 */

const Timestamp = z
  .string()
  .meta({ description: 'ISO 8601 time, UTC', example: '2026-11-25T09:00:00.000Z' });

const Schedule = z
  .string()
  .superRefine((schedule, ctx) => {
    const problem = scheduleProblem(schedule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description:
      'A cron expression in UTC: 5 fields (minute hour day month weekday), or 6 with seconds first.',
    example: '0 9 * * 1-5',
  });

const Timezone = z.enum(['UTC', 'Etc/UTC'], {
  message: 'schedules are read in UTC only: write the schedule in UTC and send "UTC" or nothing',
});

const EndTime = z.iso
  .datetime({ offset: true, message: 'use an ISO 8601 time, e.g. 2026-12-31T23:00:00Z' })
  .meta({ description: 'No run starts at or after this time.' });

const OnRunCompleted = z.enum(['keep', 'delete'], {
  message: 'use "keep" (the default) or "delete"',
});

/** Fields LangGraph's crons take that this server refuses, and why. */
const REFUSED: Record<string, string> = {
  context: 'per-run context is not supported: a run chooses what config.configurable offers',
  checkpoint_during: 'not adjustable: every step of a run is checkpointed',
  durability: 'not adjustable: every step of a run is checkpointed',
  stream_mode:
    "a cron's runs run in the background; stream one with GET /threads/{thread_id}/runs/{run_id}/stream",
  stream_subgraphs: "a cron's runs run in the background and have no subgraphs",
  stream_resumable: "a cron's runs run in the background; every run's stream is resumable",
};

/** `shape` as an object that names each field it does not know, with REFUSED's reason if any. */
function onlyKnown<T extends z.ZodRawShape>(shape: T, why: Record<string, string> = {}) {
  return z.looseObject(shape).superRefine((body, ctx) => {
    for (const key of Object.keys(body)) {
      if (Object.hasOwn(shape, key)) continue;
      const reason = why[key] ?? REFUSED[key] ?? 'not a field of a cron';
      ctx.addIssue({ code: 'custom', path: [key], message: `${reason}; leave it out` });
    }
  });
}

/** A cron's run needs its task: the run API's `input`, not null. */
const Input = RunCreate.shape.input.unwrap().unwrap();

/**
 * What each firing passes on to the run it starts, checked by the run API's own rules; stored
 * as the cron's `payload`.
 */
const runShape = {
  input: Input,
  config: RunCreate.shape.config,
  interrupt_before: RunCreate.shape.interrupt_before,
  interrupt_after: RunCreate.shape.interrupt_after,
  multitask_strategy: RunCreate.shape.multitask_strategy,
  webhook: RunCreate.shape.webhook,
};
export type CronRunPayload = z.infer<z.ZodObject<typeof runShape>>;
export const RUN_FIELDS = Object.keys(runShape) as (keyof CronRunPayload)[];

const createShape = {
  ...runShape,
  assistant_id: RunCreate.shape.assistant_id,
  schedule: Schedule,
  metadata: RunCreate.shape.metadata,
  end_time: EndTime.optional(),
  enabled: z.boolean().optional(),
  timezone: Timezone.optional(),
};

export const ThreadCronCreate = onlyKnown(createShape, {
  on_run_completed:
    "on_run_completed applies only to crons without a thread (POST /runs/crons); a thread cron's thread is kept",
}).meta({ id: 'ThreadCronCreate' });
export type ThreadCronCreate = z.infer<typeof ThreadCronCreate>;

export const CronCreate = onlyKnown({
  ...createShape,
  on_run_completed: OnRunCompleted.optional().meta({
    description:
      'The thread a firing made, once its run ends: "keep" it (the default here; LangGraph Platform deletes) or "delete" it with its runs and files.',
  }),
}).meta({ id: 'CronCreate' });
export type CronCreate = z.infer<typeof CronCreate>;

export const CronUpdate = onlyKnown({
  ...runShape,
  input: Input.optional(),
  webhook: RunCreate.shape.webhook.unwrap().nullable().optional().meta({
    description: 'null removes the webhook.',
  }),
  schedule: Schedule.optional(),
  end_time: EndTime.nullable().optional().meta({ description: 'null removes the end time.' }),
  metadata: RunCreate.shape.metadata,
  enabled: z.boolean().optional(),
  timezone: Timezone.optional(),
  on_run_completed: OnRunCompleted.optional(),
}).meta({ id: 'CronUpdate' });
export type CronUpdate = z.infer<typeof CronUpdate>;

/** Either body: what the scheduler reads of a new cron. */
export type NewCronBody = ThreadCronCreate & Pick<CronCreate, 'on_run_completed'>;

export const CRON_FIELDS = [
  'cron_id',
  'assistant_id',
  'thread_id',
  'end_time',
  'schedule',
  'created_at',
  'updated_at',
  'user_id',
  'payload',
  'next_run_date',
  'metadata',
  'timezone',
  'enabled',
  'on_run_completed',
] as const;

/** What crons sort by besides `assistant_id`: each is a column of the crons table (crons-store.ts). */
export const CRON_SORT_KEYS = [
  'cron_id',
  'thread_id',
  'created_at',
  'updated_at',
  'next_run_date',
] as const;
export type CronSortKey = (typeof CRON_SORT_KEYS)[number];

const CronFilters = {
  assistant_id: z.string().optional(),
  thread_id: ThreadId.optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ description: 'Crons whose metadata has each of these keys with an equal value.' }),
};

export const CronSearch = onlyKnown({
  ...CronFilters,
  enabled: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
  sort_by: z
    .enum(['assistant_id', ...CRON_SORT_KEYS], {
      message: `sort by one of ${['assistant_id', ...CRON_SORT_KEYS].join(', ')}`,
    })
    .optional(),
  sort_order: z.enum(['asc', 'desc']).optional(),
  select: z
    .array(z.enum(CRON_FIELDS, { message: `select from ${CRON_FIELDS.join(', ')}` }))
    .optional(),
}).meta({ id: 'CronSearch' });

export const CronCount = onlyKnown(CronFilters).meta({ id: 'CronCount' });

export const Cron = z
  .object({
    cron_id: z.string(),
    assistant_id: z.string(),
    thread_id: z.string().nullable(),
    on_run_completed: z.enum(['keep', 'delete']).nullable(),
    end_time: Timestamp.nullable(),
    schedule: z.string(),
    timezone: z.literal('UTC'),
    created_at: Timestamp,
    updated_at: Timestamp,
    payload: z
      .looseObject({
        assistant_id: z.string(),
        input: z.object({ task: z.string() }),
        metadata: z.record(z.string(), z.unknown()),
      })
      .meta({ description: "The run each firing starts, in POST /threads/{id}/runs's fields." }),
    user_id: z.string().meta({ description: 'The owner: `key:NAME` or `team:NAME`.' }),
    next_run_date: Timestamp.nullable().meta({
      description: 'When it fires next; null while disabled or past end_time.',
    }),
    metadata: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
  })
  .meta({ id: 'Cron' });

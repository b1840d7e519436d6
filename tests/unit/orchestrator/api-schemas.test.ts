import type * as z from 'zod';
import {
  CronCreate,
  CronUpdate,
  ThreadCronCreate,
} from '../../../src/orchestrator/api/schemas-crons.js';
import { AssistantDeleteQuery } from '../../../src/orchestrator/api/schemas-threads.js';
import { Metadata, RunCreate, RunConfigurable } from '../../../src/orchestrator/api/schemas.js';

// What the run API's bodies refuse and how each refusal reads (routes answer it as a 4xx naming
// the field: tests/integration/orchestrator/api-*.test.ts).

function problems(schema: z.ZodType, value: unknown): { path: string; message: string }[] {
  const result = schema.safeParse(value);
  return result.success
    ? []
    : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('metadata', () => {
  const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

  it('takes any JSON object within the depth', () => {
    expect(problems(Metadata, { a: [1, 'b', null, { c: true }], d: nested(30) })).toEqual([]);
  });

  it('refuses JSON nested deeper than 32 levels', () => {
    expect(problems(Metadata, { deep: nested(40) })).toEqual([
      { path: '', message: 'nests deeper than 32 levels' },
    ]);
  });

  it.each([
    ['a text', { note: 'a\0b' }],
    ['a key', { 'a\0b': 1 }],
    ['a text deep in a list', { list: [1, { x: ['ok', 'b\0'] }] }],
    ['a nested key', { outer: { 'k\0': 'v' } }],
  ])('refuses a NUL character in %s', (_where, value) => {
    expect(problems(Metadata, value)).toEqual([
      {
        path: '',
        message:
          'holds a NUL character (\\u0000) in a key or a text, which the store cannot search: leave it out',
      },
    ]);
  });
});

describe('strict bodies', () => {
  it('name one unknown field and list the supported ones', () => {
    expect(problems(RunConfigurable, { temperature: 1 })).toEqual([
      {
        path: '',
        message:
          'field "temperature" not supported; the supported fields are approval, model, max_iterations, max_tokens, max_cost_usd',
      },
    ]);
  });

  it('name every unknown field', () => {
    const [problem] = problems(RunCreate, { assistant_id: 'atolye', foo: 1, bar: 2 });
    expect(problem?.message).toMatch(
      /^fields "foo", "bar" not supported; the supported fields are assistant_id, input,/,
    );
  });

  it('refuse a stream mode this server does not have, naming it', () => {
    const [problem] = problems(RunCreate, { assistant_id: 'atolye', stream_mode: 'telepathy' });
    expect(problem?.message).toMatch(/^telepathy is not supported; the supported modes are /);
  });
});

describe('crons', () => {
  const cron = { assistant_id: 'atolye', input: { task: 'nightly' }, schedule: '0 3 * * *' };

  it('take a cron in LangGraph’s fields', () => {
    expect(problems(CronCreate, { ...cron, on_run_completed: 'delete' })).toEqual([]);
    expect(problems(ThreadCronCreate, cron)).toEqual([]);
    expect(problems(CronUpdate, { schedule: '*/5 * * * *' })).toEqual([]);
  });

  it('refuse a schedule that never fires or does not parse, saying why', () => {
    expect(problems(CronCreate, { ...cron, schedule: '1 2 3' })).toEqual([
      {
        path: 'schedule',
        message: expect.stringMatching(
          /^"1 2 3" is not a cron expression \(3 fields\); use 5 fields/,
        ),
      },
    ]);
    expect(problems(CronUpdate, { schedule: '0 0 30 2 *' })).toEqual([
      {
        path: 'schedule',
        message: expect.stringMatching(/^"0 0 30 2 \*" never fires \(no such date\)/),
      },
    ]);
  });

  it('refuse each field LangGraph has and this server does not do, with its reason', () => {
    expect(problems(CronCreate, { ...cron, durability: 'exit', stream_mode: 'values' })).toEqual([
      {
        path: 'durability',
        message: 'not adjustable: every step of a run is checkpointed; leave it out',
      },
      {
        path: 'stream_mode',
        message:
          "a cron's runs run in the background; stream one with GET /threads/{thread_id}/runs/{run_id}/stream; leave it out",
      },
    ]);
  });

  it('refuse a field of neither, and a thread cron’s on_run_completed, by name', () => {
    expect(problems(CronCreate, { ...cron, colour: 'red' })).toEqual([
      { path: 'colour', message: 'not a field of a cron; leave it out' },
    ]);
    expect(problems(ThreadCronCreate, { ...cron, on_run_completed: 'keep' })).toEqual([
      {
        path: 'on_run_completed',
        message:
          "on_run_completed applies only to crons without a thread (POST /runs/crons); a thread cron's thread is kept; leave it out",
      },
    ]);
  });
});

test('deleting an assistant does not delete its threads: delete_threads=true is refused', () => {
  expect(problems(AssistantDeleteQuery, { delete_threads: 'false' })).toEqual([]);
  expect(problems(AssistantDeleteQuery, {})).toEqual([]);
  expect(problems(AssistantDeleteQuery, { delete_threads: 'true' })).toEqual([
    {
      path: 'delete_threads',
      message:
        'delete_threads=true is not supported: delete the threads with DELETE /threads/{thread_id}',
    },
  ]);
});

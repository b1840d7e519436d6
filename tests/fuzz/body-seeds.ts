import fc from 'fast-check';
import { ASSISTANT_UUID } from '../../src/orchestrator/api/schemas.js';
import { knownId } from './api-target.js';
import { hostileString, hostileUrl } from './arbitraries.js';
import { valueOf, type JsonSchema, type SchemaContext } from './schema-values.js';

/**
 * What makes generated run API bodies reach past validation, and keeps the "nothing written"
 * check exact: fields whose free values would reach a network, a clock or a known id, bodies the
 * API accepts to start from, and fields set so that no write happens in the background.
 */

/** Field arbitraries for names whose free values would reach a network, a clock or a known id. */
export function fieldOverrides(): Record<string, fc.Arbitrary<unknown>> {
  return {
    url: hostileUrl,
    webhook: hostileUrl,
    schedule: fc.oneof(
      fc.constantFrom(
        '0 0 1 1 *',
        '0 0 31 2 *',
        '*/0 * * * *',
        '99 99 99 99 99',
        '* * * * * * *',
        'L W # ?',
        '',
      ),
      hostileString,
    ),
    assistant_id: fc.oneof(
      fc.constantFrom('atolye', ASSISTANT_UUID, knownId('assistantId')),
      fc.uuid(),
      hostileString,
    ),
    thread_id: fc.oneof(
      fc.constantFrom(knownId('threadId'), knownId('otherThreadId')),
      fc.uuid(),
      hostileString,
    ),
    checkpoint_id: fc.oneof(fc.uuid(), hostileString),
    on_completion: fc.oneof(fc.constant('keep'), hostileString),
  };
}

/**
 * Bodies the API accepts, by schema: generated values are seldom valid as a whole (one odd
 * optional field refuses them), so half the bodies are one of these with a few generated fields.
 */
const SEEDS: Record<string, Record<string, unknown>[]> = {
  RunCreate: [
    { assistant_id: 'atolye', input: { task: 'write notes' } },
    {
      assistant_id: knownId('assistantId'),
      input: { task: 'more notes' },
      multitask_strategy: 'enqueue',
    },
  ],
  StatelessRunCreate: [{ assistant_id: 'atolye', input: { task: 'write notes' } }],
  CronCreate: [{ assistant_id: 'atolye', input: { task: 'cron' }, schedule: '0 0 1 1 *' }],
  ThreadCronCreate: [{ assistant_id: 'atolye', input: { task: 'cron' }, schedule: '0 0 1 1 *' }],
  AssistantCreate: [{ graph_id: 'atolye' }],
  ImportGit: [{ git: { url: 'https://127.0.0.1/x.git' } }],
  PushRequest: [{ branch: 'atolye/fuzz' }],
  StateUpdate: [{ values: { task: 'changed task' } }],
};

export function seeded(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const generated = valueOf(schema, ctx);
  const name = schema.$ref?.replace('#/components/schemas/', '');
  const seeds = (name && SEEDS[name]) || [{}];
  const mixed = fc
    .tuple(fc.constantFrom(...seeds), generated, fc.integer({ min: 0, max: 2 }), fc.nat())
    .map(([seed, extra, count, start]) => {
      const merged: Record<string, unknown> = { ...seed };
      if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) {
        const keys = Object.keys(extra);
        for (let i = 0; i < Math.min(count, keys.length); i += 1) {
          const key = keys[(start + i) % keys.length] as string;
          merged[key] = (extra as Record<string, unknown>)[key];
        }
      }
      return merged;
    });
  return fc.oneof(generated, mixed);
}

/**
 * Fields set when a (mutated) body leaves them out. A stateless run's thread is deleted once its
 * run ends, in the background, which would be a write during whatever request comes next: with
 * `keep` (or an odd value, refused) the "nothing written" check stays exact.
 */
const FORCED: Record<string, Record<string, unknown>> = {
  'POST /runs': { on_completion: 'keep' },
  'POST /runs/wait': { on_completion: 'keep' },
  'POST /runs/stream': { on_completion: 'keep' },
};

export function withForced(route: string, value: unknown): unknown {
  const forced = FORCED[route];
  if (!forced || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return { ...forced, ...value };
}

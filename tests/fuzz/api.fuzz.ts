import type { ApiTarget, Snapshot } from './api-target.js';
import { apiCase, loadOpenApi, toWire, type ApiCase } from './openapi-cases.js';
import { fuzzProperty, type FuzzProperty, type FuzzSettings } from './property.js';
import { rawCase, rawWire } from './raw-cases.js';
import { answerProblem, firstDifference } from './tally.js';
import { healthy, sendHttp, sendRaw, type Answer } from './wire.js';

/**
 * The run API under hostile input. Invariants, for every request: an answer within the bound,
 * never a 5xx, /healthz still answering afterwards; and a refused (4xx) request to a mutating
 * route writes nothing (threads, runs, assistants and crons counted, the workspaces listed).
 */

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long a refused request's check waits for runs started earlier to finish. */
const IDLE_WAIT_MS = 15_000;

export function apiProperties(target: ApiTarget, settings: FuzzSettings): FuzzProperty[] {
  const doc = loadOpenApi();
  const keys = { key: target.key, adminKey: target.adminKey };
  const routes = fuzzProperty(
    'api routes (OpenAPI)',
    apiCase(doc),
    settings,
    async (c: ApiCase) => {
      const mutating = !READ_METHODS.has(c.method);
      const before =
        mutating && (await target.idle(IDLE_WAIT_MS)) ? await target.snapshot() : undefined;
      const answer = await sendHttp(
        target.url,
        toWire(c, keys, target.bodyLimitBytes, target.known),
        settings.boundMs,
      );
      await expectHealthy(target, settings, c.route, answer);
      if (mutating && answer.status !== undefined && answer.status >= 400 && answer.status < 500) {
        await expectNothingWritten(target, settings, c, answer, before);
      }
      // A deleted fixture is made again, so later requests still reach past the 404s.
      if (c.method === 'DELETE' && answer.status !== undefined && answer.status < 300) {
        await target.restore();
      }
    },
  );
  const raw = fuzzProperty(
    'api raw HTTP',
    rawCase({
      paths: [
        `/threads/${target.known.threadId}/files/`,
        `/threads/${target.known.threadId}/runs`,
        '/assistants/',
        '/threads/',
        '/runs/crons/',
        '/healthz',
      ],
      auth: `Authorization: Bearer ${target.key}`,
    }),
    settings,
    async (c) => {
      const answer = await sendRaw(target.url, rawWire(c), settings.boundMs);
      await expectHealthy(target, settings, 'raw', answer);
    },
  );
  return [routes, raw];
}

async function expectHealthy(
  target: ApiTarget,
  settings: FuzzSettings,
  route: string,
  answer: Answer,
): Promise<void> {
  settings.tally.record(route, answer);
  const problem = answerProblem(route, answer);
  if (problem) throw new Error(problem);
  if (!(await healthy(target.url, settings.boundMs))) {
    throw new Error(`${route}: answered ${answer.status}, then GET /healthz did not answer 200`);
  }
}

async function expectNothingWritten(
  target: ApiTarget,
  settings: FuzzSettings,
  c: ApiCase,
  answer: Answer,
  before: Snapshot | undefined,
): Promise<void> {
  if (!before) {
    settings.tally.writeChecksSkipped += 1;
    return;
  }
  const after = await target.snapshot();
  settings.tally.writeChecks += 1;
  const counts = firstDifference(
    Object.entries(before.counts).map(([table, n]) => `${table}=${n}`),
    Object.entries(after.counts).map(([table, n]) => `${table}=${n}`),
  );
  const files = firstDifference(before.tree, after.tree);
  if (counts || files) {
    throw new Error(
      `${c.route}: refused with ${answer.status} (${answer.body.slice(0, 200)}) but wrote: ${counts ?? ''} ${files ?? ''}`,
    );
  }
}

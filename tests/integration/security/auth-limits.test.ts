import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';

// Failed authentication is rate limited per client address: a flood of bad keys gets 429s with
// Retry-After after the limit and costs a few log lines, not one each; a valid key from the same
// address goes on. Against a real orchestrator on port 0 (no step is ever called).

const LIMIT = 10;
const FLOOD = 1_000;

let root: ReturnType<typeof tempDir>;
let host: Server;
let api: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-auth-limits-');
  // Nothing here runs a task: the "worker host" only has to exist as a URL.
  host = createServer((_request, response) => response.writeHead(503).end());
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const address = host.address() as { port: number };
  api = await startTestApi(
    path.join(root.dir, 'main'),
    { url: `http://127.0.0.1:${address.port}` } as Parameters<typeof startTestApi>[1],
    { 'api.authFailuresPerMinute': String(LIMIT) },
  );
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await new Promise((resolve) => host?.close(resolve));
  root?.cleanup();
});

function lineCount(channel: string): number {
  const file = path.join(api.logDir, `${channel}.log`);
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '').length;
}

/** Waits until the line of a request with this id is on disk: every earlier line is too. */
async function flushed(requestId: string): Promise<void> {
  const file = path.join(api.logDir, 'user_interactions.log');
  await eventually(
    `the line of request ${requestId} in the log`,
    () => existsSync(file) && readFileSync(file, 'utf8').includes(requestId),
  );
}

async function marker(): Promise<void> {
  const requestId = randomUUID();
  const response = await fetch(`${api.url}/threads/search`, {
    method: 'POST',
    headers: { 'x-api-key': api.key, 'x-request-id': requestId },
  });
  expect(response.status).toBe(200);
  await flushed(requestId);
}

test(`${FLOOD} requests with bad keys: 401 up to the limit, then 429 with Retry-After, and a handful of log lines`, async () => {
  await marker();
  const interactionsBefore = lineCount('user_interactions');
  const errorsBefore = lineCount('errors');

  const statuses: number[] = [];
  const retryAfter = new Set<string | null>();
  // In waves, as a scanner would send them, without opening a thousand sockets at once.
  for (let wave = 0; wave < FLOOD / 50; wave += 1) {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const n = wave * 50 + i;
        // Unknown keys, malformed keys and no key at all: every kind counts as a failure.
        const headers: Record<string, string> =
          n % 3 === 0 ? {} : { 'x-api-key': n % 3 === 1 ? `atk_${'x'.repeat(43)}` : `guess-${n}` };
        return fetch(`${api.url}/threads/search`, { method: 'POST', headers });
      }),
    );
    for (const answer of answers) {
      statuses.push(answer.status);
      if (answer.status === 429) {
        retryAfter.add(answer.headers.get('retry-after'));
        const body = (await answer.json()) as { error: { code: string; retryable: boolean } };
        expect(body.error).toMatchObject({ code: 'AUTH_RATE_LIMITED', retryable: true });
      } else {
        await answer.body?.cancel();
      }
    }
  }
  expect(statuses.filter((status) => status === 401)).toHaveLength(LIMIT);
  expect(statuses.filter((status) => status === 429)).toHaveLength(FLOOD - LIMIT);
  for (const value of retryAfter) {
    expect(Number(value)).toBeGreaterThanOrEqual(1);
    expect(Number(value)).toBeLessThanOrEqual(60);
  }

  // A valid key from the very same address is not locked out.
  await marker();
  const written = lineCount('user_interactions') - interactionsBefore;
  // The 401s, the one line saying the address is now limited, and the marker request.
  expect(written).toBeLessThanOrEqual(LIMIT + 2);
  expect(written).toBeGreaterThanOrEqual(LIMIT + 1);
  expect(lineCount('errors')).toBe(errorsBefore);

  const limited = readFileSync(path.join(api.logDir, 'user_interactions.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('failed authentication from'));
  expect(limited).toHaveLength(1);
  expect(JSON.parse(limited[0] ?? '{}')).toMatchObject({
    level: 'warn',
    address: expect.stringMatching(/127\.0\.0\.1/),
    limit: LIMIT,
  });
});

import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { resolveFromRoot } from '../../../src/config/index.js';
import { ApiKeyStore, apiKeysFile } from '../../../src/store/api-keys.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';

// A revoked key stops at once: its next request is 401, and what it holds open (a run's event
// stream, a wait for a run's end) ends within seconds, while another key's stream of the same run
// goes on. The run is kept running by a "worker host" that never answers its first step; the key
// is revoked through a second connection to the key file, as `atolye keys revoke` in another
// process does.

let root: ReturnType<typeof tempDir>;
let host: Server;
let api: TestApi;

beforeAll(async () => {
  root = tempDir('atolye-auth-revocation-');
  host = createServer((request, response) => {
    // Health checks answer; a step call is held until the test ends.
    if (request.url === '/healthz') response.writeHead(200).end('{}');
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const address = host.address() as { port: number };
  api = await startTestApi(path.join(root.dir, 'main'), {
    url: `http://127.0.0.1:${address.port}`,
  } as Parameters<typeof startTestApi>[1]);
}, 60_000);

afterAll(async () => {
  host?.closeAllConnections();
  await new Promise((resolve) => host?.close(resolve));
  await api?.stop();
  root?.cleanup();
});

const json = { 'content-type': 'application/json' };

function call(key: string, route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api.url}${route}`, {
    ...init,
    headers: { 'x-api-key': key, ...(init.headers as Record<string, string> | undefined) },
  });
}

/** Revokes `name` as another process would: its own connection to the key file. */
async function revokeElsewhere(name: string): Promise<void> {
  const other = ApiKeyStore.inFile(apiKeysFile(resolveFromRoot(api.config.storage.dataDir)));
  try {
    expect(await other.revoke(name)).toBe(true);
  } finally {
    await other.close();
  }
}

interface SseEvent {
  event: string;
  data: string;
}

/** Reads an SSE body event by event; `next()` is undefined once the stream has ended. */
function sseReader(response: Response): {
  next(): Promise<SseEvent | undefined>;
  cancel(): Promise<void>;
} {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    cancel: () => reader.cancel(),
    async next() {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = block.split('\n').filter((line) => !line.startsWith(':'));
          if (fields.length === 0) continue;
          const event =
            fields
              .find((line) => line.startsWith('event:'))
              ?.slice(6)
              .trim() ?? '';
          const data =
            fields
              .find((line) => line.startsWith('data:'))
              ?.slice(5)
              .trim() ?? '';
          return { event, data };
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}

/** A run on a thread of `key`'s that stays running (its first step never answers). */
async function runningRun(key: string): Promise<{ threadId: string; runId: string }> {
  const thread = await call(key, '/threads', { method: 'POST', headers: json, body: '{}' });
  const threadId = ((await thread.json()) as { thread_id: string }).thread_id;
  const run = await call(key, `/threads/${threadId}/runs`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ assistant_id: 'atolye', input: { task: 'never ends' } }),
  });
  expect(run.status).toBe(200);
  return { threadId, runId: ((await run.json()) as { run_id: string }).run_id };
}

test('an open stream of a key that is revoked ends within seconds; another key streaming the run goes on', async () => {
  const { key } = await api.orchestrator.keys.create('leaver');
  const { threadId, runId } = await runningRun(key);
  const route = `/threads/${threadId}/runs/${runId}/stream`;

  const mine = await call(key, route);
  expect(mine.status).toBe(200);
  const events = sseReader(mine);
  expect((await events.next())?.event).toBe('metadata');
  const admins = await call(api.adminKey, route);
  expect(admins.status).toBe(200);
  const adminEvents = sseReader(admins);
  expect((await adminEvents.next())?.event).toBe('metadata');

  const revokedAt = Date.now();
  await revokeElsewhere('leaver');
  // New requests with it are refused at once.
  const next = await call(key, `/threads/${threadId}`);
  expect(next.status).toBe(401);
  expect(((await next.json()) as { error: { code: string } }).error.code).toBe('API_KEY_INVALID');

  // Whatever the run had written comes first (its input's `values`); the stream then ends.
  const rest: SseEvent[] = [];
  for (let event = await events.next(); event; event = await events.next()) rest.push(event);
  const last = rest.at(-1);
  expect(last?.event).toBe('error');
  expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ error: 'API_KEY_REVOKED' });
  expect(rest.map((event) => event.event)).not.toContain('end');
  const took = Date.now() - revokedAt;
  expect(took).toBeLessThan(5_000);

  // The admin key's stream of the same run is still open well after another key check.
  const drained = (async () => {
    while ((await adminEvents.next()) !== undefined);
    return 'ended';
  })();
  const stillOpen = await Promise.race([
    drained,
    new Promise((resolve) => setTimeout(() => resolve('open'), 3_000)),
  ]);
  expect(stillOpen).toBe('open');
  await adminEvents.cancel();
}, 30_000);

test('a wait for the run to end, held by a key that is revoked, ends with 401 within seconds', async () => {
  const { key } = await api.orchestrator.keys.create('waiter');
  const { threadId, runId } = await runningRun(key);
  const join = call(key, `/threads/${threadId}/runs/${runId}/join`);
  // Let the wait begin before the key goes.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const revokedAt = Date.now();
  await revokeElsewhere('waiter');
  const answer = await join;
  expect(Date.now() - revokedAt).toBeLessThan(5_000);
  expect(answer.status).toBe(401);
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('API_KEY_REVOKED');
}, 30_000);

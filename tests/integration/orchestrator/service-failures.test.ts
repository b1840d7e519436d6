import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AtolyeError } from '../../../src/errors.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { startOrchestrator, type RunningOrchestrator } from '../../../src/orchestrator/service.js';
import { eventually } from '../../helpers/eventually.js';
import { withEnv } from '../../helpers/env.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostConfig } from '../deploy/helpers.js';

// The orchestrator in front of a stand-in worker host on loopback whose answers each test picks:
// readiness when the host is down, the stream routes' edge cases on a run that failed, webhooks.

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let work: ReturnType<typeof tempDir>;
let logging: Logging;
let fakeHost: Server;
let hostUrl: string;
let hostHandler: Handler;
const webhooks: unknown[] = [];
let orchestrator: RunningOrchestrator;
let key: string;

beforeAll(async () => {
  work = tempDir('atolye-orch-failures-');
  hostHandler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"pass"}');
  };
  fakeHost = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/webhook') {
        webhooks.push(JSON.parse(body));
        res.writeHead(204);
        res.end();
        return;
      }
      hostHandler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => fakeHost.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(fakeHost.address() as AddressInfo).port}`;
  const config = hostConfig(path.join(work.dir, 'data'), path.join(work.dir, 'logs'), {
    'workspace.root': path.join(work.dir, 'workspaces'),
    'agent.maxTokens': '100000',
    'agent.maxCostUsd': '5',
    'agent.runTimeoutMs': '60000',
    // The stand-in host is also the webhook receiver: loopback, so it must be allowed.
    'api.webhookAllowHosts': new URL(hostUrl).host,
  });
  logging = createLogging(config, { service: 'orchestrator' });
  orchestrator = await startOrchestrator(config, {
    port: 0,
    hostUrl,
    logging,
    retry: { initialInterval: 10, jitter: false },
  });
  key = (await orchestrator.keys.create('tests')).key;
});

afterAll(async () => {
  await orchestrator?.close();
  await logging?.close();
  fakeHost.closeAllConnections();
  await new Promise((resolve) => fakeHost.close(resolve));
  work.cleanup();
});

async function api(
  method: string,
  route: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${orchestrator.url}${route}`, {
    method,
    headers: {
      'x-api-key': key,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The SSE events of a stream body, as { id, event }. */
function events(text: string): { id: string | undefined; event: string | undefined }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => ({
      id: /^id: ?(.*)$/m.exec(block)?.[1],
      event: /^event: ?(.*)$/m.exec(block)?.[1],
    }));
}

describe('readiness follows the worker host', () => {
  it('passes while the host answers, and names host:reachable when it answers 503 or not at all', async () => {
    const ready = await api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      checks: { 'host:reachable': [{ status: 'pass' }], 'store:responsive': [{ status: 'pass' }] },
    });

    hostHandler = (_req, res) => {
      res.writeHead(503);
      res.end('draining');
    };
    const draining = await api('GET', '/readyz');
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.text)).toMatchObject({
      status: 'fail',
      checks: {
        'host:reachable': [{ status: 'fail', output: 'the worker host answered 503' }],
      },
    });

    hostHandler = (req) => void req.socket.destroy();
    const down = await api('GET', '/readyz');
    expect(down.status).toBe(503);
    const body = JSON.parse(down.text) as {
      checks: Record<string, { status: string; output?: string }[]>;
    };
    expect(body.checks['host:reachable']?.[0]?.status).toBe('fail');
    expect(body.checks['host:reachable']?.[0]?.output).toMatch(
      new RegExp(`^the worker host at ${hostUrl} is unreachable: `),
    );
  });
});

describe('stream routes on a run whose steps fail', () => {
  let runId: string;
  let endId: number;

  beforeAll(async () => {
    // Every step call fails: the run ends in error at once; the webhook hears of it.
    hostHandler = (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BROKEN', message: 'the step is broken' } }));
    };
    const started = await api('POST', '/threads/t-stream/runs/stream', {
      body: {
        assistant_id: 'atolye',
        input: { task: 'fail please' },
        if_not_exists: 'create',
        webhook: `${hostUrl}/webhook`,
      },
    });
    expect(started.status).toBe(200);
    const seen = events(started.text);
    // No stream_mode: values only, beside metadata, error and end.
    expect(seen[0]?.event).toBe('metadata');
    expect(seen.at(-1)?.event).toBe('end');
    expect(seen.every((e) => ['metadata', 'values', 'error', 'end'].includes(e.event ?? ''))).toBe(
      true,
    );
    expect(seen.map((e) => e.event)).toContain('error');
    runId = /\/runs\/([^/]+)$/.exec(started.headers.get('content-location') ?? '')?.[1] ?? '';
    expect(runId).not.toBe('');
    endId = Number(seen.at(-1)?.id);
  });

  it('re-attaching after the end event sends nothing and ends at once', async () => {
    const again = await api('GET', `/threads/t-stream/runs/${runId}/stream`, {
      headers: { 'last-event-id': String(endId) },
    });
    expect(again.status).toBe(200);
    expect(events(again.text)).toEqual([]);
  });

  it('Last-Event-ID -1 and empty replay from the start; stream_mode filters what is sent', async () => {
    for (const header of ['-1', '']) {
      const replay = await api(
        'GET',
        `/threads/t-stream/runs/${runId}/stream?stream_mode=updates`,
        {
          headers: { 'last-event-id': header },
        },
      );
      expect(replay.status).toBe(200);
      const seen = events(replay.text).map((e) => e.event);
      expect(seen[0]).toBe('metadata');
      expect(seen.at(-1)).toBe('end');
      expect(seen).not.toContain('values');
    }
  });

  it('refuses a Last-Event-ID that is not an event id', async () => {
    for (const header of ['abc', '-2', '1.5']) {
      const bad = await api('GET', `/threads/t-stream/runs/${runId}/stream`, {
        headers: { 'last-event-id': header },
      });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text)).toMatchObject({
        error: {
          code: 'RUN_INVALID',
          message: `Last-Event-ID "${header}" is not an event id of this API`,
        },
      });
    }
  });

  it('refuses an unknown stream_mode, naming the supported ones', async () => {
    const bad = await api(
      'GET',
      `/threads/t-stream/runs/${runId}/stream?stream_mode=values&stream_mode=events&stream_mode=tools`,
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({
      error: {
        code: 'RUN_INVALID',
        message: expect.stringMatching(
          /^stream_mode events, tools are not supported \(.+\); the supported modes are values, updates, messages, messages-tuple, debug, checkpoints, tasks, custom$/,
        ),
      },
    });
  });

  it('a run of another thread is not found there', async () => {
    await api('POST', '/threads', { body: { thread_id: 't-other' } });
    const other = await api('GET', `/threads/t-other/runs/${runId}/stream`);
    expect(other.status).toBe(404);
    expect(JSON.parse(other.text)).toMatchObject({
      error: { code: 'RUN_NOT_FOUND', message: `no run ${runId} on thread t-other` },
    });
  });

  it('the thread of a failed run reports status error, and the webhook got the run', async () => {
    const thread = await api('GET', '/threads/t-stream');
    expect(thread.status).toBe(200);
    expect(JSON.parse(thread.text)).toMatchObject({ thread_id: 't-stream', status: 'error' });
    await eventually('the webhook of the failed run', () => webhooks.length > 0);
    expect(webhooks).toEqual([
      expect.objectContaining({ run_id: runId, thread_id: 't-stream', status: 'error' }),
    ]);
  });
});

describe('starting', () => {
  it('fails with API_LISTEN_FAILED on a port that is taken, naming the setting to change', async () => {
    const port = Number(new URL(orchestrator.url).port);
    const config = hostConfig(path.join(work.dir, 'data-2'), path.join(work.dir, 'logs'));
    const error = await startOrchestrator(config, { port, logging, hostUrl }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AtolyeError);
    expect(error).toMatchObject({ code: 'API_LISTEN_FAILED' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the orchestrator cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.* \\(set api\\.port or ATOLYE_API_PORT; 0 picks a free port\\)$`,
      ),
    );
  });

  it('without a host URL it uses host.bind and host.port', async () => {
    const port = Number(new URL(hostUrl).port);
    const config = hostConfig(path.join(work.dir, 'data-3'), path.join(work.dir, 'logs'), {
      'host.port': String(port),
      'host.bind': '127.0.0.1',
    });
    hostHandler = (_req, res) => {
      res.writeHead(200);
      res.end('{}');
    };
    // The orchestrator falls back to ATOLYE_HOST_URL of its own process before the settings.
    const second = await withEnv({ ATOLYE_HOST_URL: undefined }, () =>
      startOrchestrator(config, { port: 0, logging }),
    );
    try {
      const ready = await fetch(`${second.url}/readyz`);
      const body = (await ready.json()) as { checks: Record<string, { status: string }[]> };
      expect(body.checks['host:reachable']?.[0]?.status).toBe('pass');
    } finally {
      await second.close();
    }
  });
});

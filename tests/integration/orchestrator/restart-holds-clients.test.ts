import http from 'node:http';
import { waitForOrchestrator } from '../../../src/deploy/local/orchestrator.js';
import type { AtolyeConfig } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { eventually, sleep } from '../../helpers/eventually.js';
import { isAlive } from '../../helpers/processes.js';
import { startOrchestratorHost, type OrchestratorHost } from './helpers.js';

// The orchestrator as `npm run deploy` runs it: a real `atolye orchestrator` process supervised by
// a real worker host, which listens on the run API's port itself and hands it the connections.
// Clients keep calling while the orchestrator is killed, and while a deploy restarts it: none is
// refused; the host holds them until the new process takes them.

let root: ReturnType<typeof tempDir>;
let config: AtolyeConfig;
let host: OrchestratorHost | undefined;

beforeAll(async () => {
  root = tempDir('atolye-restart-holds-');
  host = await startOrchestratorHost(root.dir);
  config = host.config;
}, 30_000);

afterAll(async () => {
  await host?.stop();
  root?.cleanup();
});

interface Sample {
  client: 'fresh' | 'kept-alive';
  startedAt: number;
  ms: number;
  status?: number;
  retryAfter?: string;
  /** The socket error's code (ECONNREFUSED, ECONNRESET, …) when there was no answer. */
  error?: string;
}

function get(port: number, agent: http.Agent | false): Promise<Omit<Sample, 'client'>> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    const done = (sample: Omit<Sample, 'client' | 'startedAt' | 'ms'>): void =>
      resolve({ ...sample, startedAt, ms: performance.now() - startedAt });
    http
      .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
        res.resume();
        res.on('end', () =>
          done({ status: res.statusCode, retryAfter: res.headers['retry-after'] }),
        );
      })
      .on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
  });
}

/**
 * Clients of GET /healthz: `fresh` starts one on a new connection every ~20 ms whether or not the
 * earlier ones were answered; `kept-alive` sends one after the other on one kept-alive connection
 * (a new one when the server closes it), ~20 ms apart.
 */
function traffic(port: number, clients: Sample['client'][]) {
  const samples: Sample[] = [];
  let running = true;
  const loops = clients.map(async (client) => {
    if (client === 'fresh') {
      const pending: Promise<void>[] = [];
      while (running) {
        pending.push(get(port, false).then((sample) => void samples.push({ client, ...sample })));
        await sleep(20);
      }
      await Promise.all(pending);
      return;
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    while (running) {
      samples.push({ client, ...(await get(port, agent)) });
      await sleep(20);
    }
    agent.destroy();
  });
  return {
    samples,
    async stop(): Promise<Sample[]> {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

function report(what: string, samples: Sample[], from: number, to: number): void {
  const during = samples.filter((sample) => sample.startedAt >= from && sample.startedAt <= to);
  const refused = samples.filter((sample) => sample.error === 'ECONNREFUSED');
  const maxMs = Math.round(Math.max(...samples.map((sample) => sample.ms)));
  console.log(
    `${what}: ${samples.length} requests, ${during.length} sent while no orchestrator served, ` +
      `longest wait ${maxMs} ms, ${refused.length} refused, ` +
      `${samples.filter((sample) => sample.status !== 200).length} not answered 200; the gap lasted ${Math.round(to - from)} ms`,
  );
}

test('SIGKILL of the orchestrator: connections made until its successor is up are held, none refused', async () => {
  const first = await waitForOrchestrator(config, { timeoutMs: 30_000 });
  const port = Number(new URL(first.url).port);
  const load = traffic(port, ['fresh']);
  await eventually('a few answers', () => load.samples.length >= 5);

  const killedAt = performance.now();
  process.kill(first.pid, 'SIGKILL');
  await eventually('the orchestrator to be gone', () => !isAlive(first.pid));
  const goneAt = performance.now();
  const second = await waitForOrchestrator(config, { timeoutMs: 30_000, notPid: first.pid });
  const upAt = performance.now();
  await eventually('answers from the new one', () =>
    load.samples.some((sample) => sample.startedAt > upAt && sample.status === 200),
  );
  const samples = await load.stop();

  report('orchestrator SIGKILL', samples, killedAt, upAt);
  expect(second.pid).not.toBe(first.pid);
  expect(second.url).toBe(first.url);
  expect(samples.filter((sample) => sample.error === 'ECONNREFUSED')).toEqual([]);
  // A request in progress on the killed process is lost with it (the connection is reset); every
  // other one is answered.
  const lost = samples.filter((sample) => sample.status !== 200);
  expect(
    lost.filter((sample) => sample.startedAt > killedAt - 5_000 && sample.startedAt < goneAt),
  ).toEqual(lost);
  // Sent while no orchestrator ran, and answered by the new one.
  const held = samples.filter((sample) => sample.startedAt > goneAt && sample.startedAt < upAt);
  expect(held.length).toBeGreaterThanOrEqual(3);
  expect(held.every((sample) => sample.status === 200)).toBe(true);
}, 45_000);

test('a graceful restart (POST /admin/services/restart, as a deploy does) answers every request 200', async () => {
  const first = await waitForOrchestrator(config, { timeoutMs: 30_000 });
  const port = Number(new URL(first.url).port);
  const load = traffic(port, ['fresh', 'kept-alive']);
  await eventually('a few answers', () => load.samples.length >= 10);

  const restartAt = performance.now();
  const restarted = await fetch(`${host!.url}/admin/services/restart`, {
    method: 'POST',
    headers: { authorization: `Bearer ${config.security.adminToken}` },
  });
  expect(restarted.status).toBe(200);
  const second = await waitForOrchestrator(config, { timeoutMs: 30_000, notPid: first.pid });
  const upAt = performance.now();
  await eventually('answers from the new one on both clients', () =>
    ['fresh', 'kept-alive'].every((client) =>
      load.samples.some((sample) => sample.client === client && sample.startedAt > upAt),
    ),
  );
  const samples = await load.stop();

  report('orchestrator restart', samples, restartAt, upAt);
  expect(second.pid).not.toBe(first.pid);
  expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
  const held = samples.filter((sample) => sample.startedAt > restartAt && sample.startedAt < upAt);
  expect(held.length).toBeGreaterThanOrEqual(3);
}, 45_000);

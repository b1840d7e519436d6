import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../../src/config/index.js';
import { ServiceSupervisor, type ServiceSpec } from '../../../src/runtime/host/index.js';
import { HANDED_PORT_ENV, type ServiceReply } from '../../../src/runtime/handed-connections.js';
import { recordingLogger } from '../runtime/host/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { exitOf, stopProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';

// The worker host's listening socket for a service (host/connection-front.ts) over real processes:
// node -e scripts that speak the service's side of the protocol by hand. The orchestrator's own
// side, with a real orchestrator, is tests/integration/orchestrator/restart-holds-clients.test.ts.

const supervisors: ServiceSupervisor[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** Takes each connection and answers its request with its pid, once `readyAfterMs` have passed. */
const SERVING = (readyAfterMs: number): string => `
  process.on('message', (message, socket) => {
    if (message.atolye !== 'connection') return;
    socket.once('data', () => {
      const body = String(process.pid);
      socket.end('HTTP/1.1 200 OK\\r\\ncontent-length: ' + body.length + '\\r\\nconnection: close\\r\\n\\r\\n' + body);
    });
    process.send({ atolye: 'took', id: message.id });
  });
  setTimeout(() => process.send({ atolye: 'ready' }), ${readyAfterMs});
  console.log('handed=' + process.env.${HANDED_PORT_ENV} + ' ipc=' + typeof process.send);
`;
/** Never says it is ready: the host holds every connection until its bound. */
const SILENT = `console.log('handed=' + process.env.${HANDED_PORT_ENV} + ' ipc=' + typeof process.send); setInterval(() => {}, 1000);`;

function supervise(script: string, listen: ServiceSpec['listen']) {
  const logger = recordingLogger();
  const supervisor = new ServiceSupervisor(
    {
      name: 'orchestrator',
      command: process.execPath,
      args: ['-e', script],
      stopGraceMs: 2_000,
      backoff: { initialMs: 50, maxMs: 50, factor: 1 },
      listen,
    },
    { logger },
  );
  supervisors.push(supervisor);
  supervisor.start();
  return { supervisor, logger };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** GET on a connection of its own; rejects with the socket error (ECONNREFUSED, …). */
function get(port: number, path = '/healthz'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const frontPort = (supervisor: ServiceSupervisor): Promise<number> =>
  eventually('the front to listen', () => supervisor.status().front?.port);

test('connections made before the service is ready, and while it restarts after SIGKILL, are held and then served', async () => {
  const { supervisor, logger } = supervise(SERVING(400), { host: '127.0.0.1', port: 0 });
  const port = await frontPort(supervisor);
  const first = await get(port);
  expect(first.status).toBe(200);
  expect(first.body).toBe(String(supervisor.status().pid));
  expect(logger.lines.some((line) => line.msg === `handed=${port} ipc=function`)).toBe(true);

  const killed = supervisor.status().pid as number;
  process.kill(killed, 'SIGKILL');
  // Sent while the process is dead or restarting: held by the host, not refused.
  const during = await Promise.all([get(port), get(port), get(port)]);
  expect(during.map((answer) => answer.status)).toEqual([200, 200, 200]);
  const servedBy = new Set(during.map((answer) => answer.body));
  expect(servedBy).toEqual(new Set([String(supervisor.status().pid)]));
  expect(servedBy.has(String(killed))).toBe(false);
  expect(supervisor.status()).toMatchObject({ restarts: 1, front: { port, held: 0 } });
});

test('a connection held past the bound gets 503 ORCHESTRATOR_UNAVAILABLE with Retry-After, not a reset', async () => {
  const { supervisor, logger } = supervise(SILENT, { host: '127.0.0.1', port: 0, maxHoldMs: 300 });
  const port = await frontPort(supervisor);
  const answer = await get(port);
  expect(answer.status).toBe(503);
  expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(JSON.parse(answer.body)).toEqual({
    error: {
      code: 'ORCHESTRATOR_UNAVAILABLE',
      message: expect.stringContaining('retry after'),
      retryable: true,
    },
  });
  expect(
    logger.lines.some(
      (line) => line.level === 'warn' && line.msg.includes('answered 503: it took none for 0.3 s'),
    ),
  ).toBe(true);
});

test('past maxHeld connections a new one is answered 503 at once while the others wait', async () => {
  const { supervisor } = supervise(SILENT, {
    host: '127.0.0.1',
    port: 0,
    maxHeld: 1,
    maxHoldMs: 20_000,
  });
  const port = await frontPort(supervisor);
  const waiting = net.connect(port, '127.0.0.1');
  waiting.on('error', () => undefined);
  await eventually('one connection held', () => supervisor.status().front?.held === 1);
  const refused = await get(port);
  expect(refused.status).toBe(503);
  expect(JSON.parse(refused.body)).toMatchObject({
    error: { code: 'ORCHESTRATOR_UNAVAILABLE', message: expect.stringContaining('already wait') },
  });
  expect(supervisor.status().front?.held).toBe(1);
  // Stopping the service answers the held one too.
  const answered = new Promise<string>((resolve) => {
    let text = '';
    waiting.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    waiting.on('end', () => resolve(text));
  });
  waiting.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
  await supervisor.stop();
  expect(await answered).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[\s\S]*retry-after: \d+/);
});

test('when the port is taken the service listens itself: no front, no handed connections', async () => {
  const taken = net.createServer();
  servers.push(taken);
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  const { supervisor, logger } = supervise(SILENT, { host: '127.0.0.1', port });
  await eventually('the service to start', () =>
    logger.lines.some((line) => line.msg.startsWith('handed=')),
  );
  expect(logger.lines.some((line) => line.msg === 'handed=undefined ipc=undefined')).toBe(true);
  expect(supervisor.status().front).toBeUndefined();
  expect(
    logger.lines.some(
      (line) => line.level === 'warn' && line.msg.includes(`cannot listen on 127.0.0.1:${port}`),
    ),
  ).toBe(true);
});

test('an orchestrator handed its connections stops by itself when its channel to the host closes (the host died)', async () => {
  const root = tempDir('atolye-handed-');
  const dataDir = path.join(root.dir, 'data');
  const orchestrator = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), 'orchestrator'],
    {
      cwd: projectRoot(),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {
        ...process.env,
        ATOLYE_ENV: 'testing',
        ATOLYE_DATA_DIR: dataDir,
        ATOLYE_LOG_DIR: path.join(root.dir, 'logs'),
        ATOLYE_WORKSPACE_ROOT: path.join(root.dir, 'workspaces'),
        // A port nobody listens on: this test is the host, and hands it nothing.
        [HANDED_PORT_ENV]: '9',
      },
    },
  );
  try {
    await new Promise<void>((resolve) =>
      orchestrator.on('message', (message: ServiceReply) => {
        if (message.atolye === 'ready') resolve();
      }),
    );
    await eventually('its state file', () => existsSync(path.join(dataDir, 'orchestrator.json')));
    orchestrator.disconnect();
    expect(await exitOf(orchestrator)).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, 'orchestrator.json'))).toBe(false);
  } finally {
    await stopProcess(orchestrator, { graceMs: 2_000 });
    root.cleanup();
  }
}, 30_000);

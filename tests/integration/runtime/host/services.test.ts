import { ServiceSupervisor, type ServiceSpec } from '../../../../src/runtime/host/index.js';
import { recordingLogger } from './harness.js';
import { eventually, sleep } from '../../../helpers/eventually.js';
import { isAlive } from '../../../helpers/processes.js';

/** The supervisor over real child processes (node -e scripts standing in for the orchestrator). */

const supervisors: ServiceSupervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
});

function supervise(script: string, options: Partial<ServiceSpec> = {}) {
  const logger = recordingLogger();
  const supervisor = new ServiceSupervisor(
    {
      name: 'svc',
      command: process.execPath,
      args: ['-e', script],
      stopGraceMs: 2_000,
      ...options,
    },
    { logger },
  );
  supervisors.push(supervisor);
  return { supervisor, logger };
}

test('restarts a crashing command with growing backoff and forwards its output to the system channel', async () => {
  const { supervisor, logger } = supervise(
    "console.log('up ' + process.pid); setTimeout(() => process.exit(3), 30);",
    {
      backoff: { initialMs: 50, maxMs: 1_000, factor: 2 },
    },
  );
  supervisor.start();
  await eventually('two restarts', () => supervisor.status().restarts >= 2, { timeoutMs: 5_000 });

  const ups = logger.lines.filter(
    (line) => line.msg.startsWith('up ') && line.fields.stream === 'stdout',
  );
  expect(new Set(ups.map((line) => line.msg)).size).toBeGreaterThanOrEqual(2);
  const crashes = logger.lines.filter(
    (line) => line.level === 'error' && line.msg.includes('exited with code 3'),
  );
  expect(crashes.map((line) => line.fields.retryInMs).slice(0, 2)).toEqual([50, 100]);
  expect(supervisor.status()).toMatchObject({ name: 'svc', lastExit: { code: 3 } });
});

test('the backoff resets once the service was up for stableMs', async () => {
  const { supervisor, logger } = supervise('setTimeout(() => process.exit(1), 120);', {
    backoff: { initialMs: 40, maxMs: 1_000, factor: 2 },
    stableMs: 100,
  });
  supervisor.start();
  await eventually('two restarts', () => supervisor.status().restarts >= 2, { timeoutMs: 5_000 });
  const delays = logger.lines
    .filter((line) => line.level === 'error')
    .map((line) => line.fields.retryInMs);
  expect(delays.slice(0, 2)).toEqual([40, 40]);
});

test('stop() ends a running service with SIGTERM and it is not restarted', async () => {
  const { supervisor, logger } = supervise(
    "process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000); console.log('ready');",
  );
  supervisor.start();
  await eventually(
    'the service to start',
    () => logger.lines.some((line) => line.msg === 'ready'),
    { timeoutMs: 3_000 },
  );
  const { pid } = supervisor.status();
  expect(supervisor.status().state).toBe('running');
  expect(supervisor.status().uptimeMs).toBeGreaterThanOrEqual(0);

  await supervisor.stop();
  expect(supervisor.status()).toMatchObject({
    state: 'stopped',
    lastExit: { code: 0 },
    restarts: 0,
  });
  expect(logger.lines.some((line) => line.msg === 'bye')).toBe(true);
  expect(isAlive(pid as number)).toBe(false);
  await sleep(100);
  expect(supervisor.status().state).toBe('stopped');
});

test('stop() kills a service that ignores SIGTERM after the grace period', async () => {
  const { supervisor, logger } = supervise(
    "process.on('SIGTERM', () => console.log('ignoring')); setInterval(() => {}, 1000); console.log('ready');",
    { stopGraceMs: 200 },
  );
  supervisor.start();
  await eventually(
    'the service to start',
    () => logger.lines.some((line) => line.msg === 'ready'),
    { timeoutMs: 3_000 },
  );
  const started = performance.now();
  await supervisor.stop();
  expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  expect(supervisor.status().lastExit).toMatchObject({ signal: 'SIGKILL' });
});

test('a command that cannot run is reported and retried with backoff, and stop() cancels the retry', async () => {
  const logger = recordingLogger();
  const supervisor = new ServiceSupervisor(
    {
      name: 'ghost',
      command: '/nonexistent/atolye-command',
      backoff: { initialMs: 5_000, maxMs: 5_000, factor: 2 },
    },
    { logger },
  );
  supervisors.push(supervisor);
  supervisor.start();
  await eventually('the backoff state', () => supervisor.status().state === 'backoff', {
    timeoutMs: 3_000,
  });
  expect(supervisor.status().nextStartInMs).toBeGreaterThan(1_000);
  expect(
    logger.lines.some((line) => line.level === 'error' && line.msg.includes('could not run')),
  ).toBe(true);
  await supervisor.stop();
  expect(supervisor.status().state).toBe('stopped');
});

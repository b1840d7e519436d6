import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startHostDaemon,
  supervisorStateFile,
  type HostState,
} from '../../../src/deploy/local/daemon.js';
import { HostSupervisor, type RestartPolicy } from '../../../src/deploy/local/supervisor.js';
import { createLogging } from '../../../src/logging/index.js';
import { createInvoker } from '../../../src/runtime/invoke.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { startIngest, type IngestServer } from '../monitoring/fixtures/ingest.js';
import { build, deployOk, hostConfig, writeFixtures } from '../deploy/helpers.js';
import { eventually } from '../../helpers/eventually.js';
import { isAlive, processesUsing } from '../../helpers/processes.js';

// The daemon host that `npm run deploy` starts runs under a supervisor that restarts it when it
// dies. These start real processes: the supervisor, the host it runs, the host's workers and
// orchestrator, and a Sentry ingest server on loopback.

let work: ReturnType<typeof tempDir>;

beforeAll(() => {
  work = tempDir('atolye-supervision-');
});

afterAll(() => {
  for (const leaked of processesUsing(work.dir)) process.kill(leaked.pid, 'SIGKILL');
  work.cleanup();
});

type LogLine = Record<string, unknown> & { msg: string; level: string };

function channel(logDir: string, name: string): LogLine[] {
  const file = path.join(logDir, `${name}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

function hostState(dataDir: string): HostState | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'host.json'), 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}

/** One signed call to alpha: its label, the worker that ran it and the version that answered. */
async function callAlpha(url: string): Promise<{ label: string; pid: number; version: string }> {
  const invoke = createInvoker({ baseUrl: url, secret: 'test-signing-secret', retries: 0 });
  const reply = await invoke<{ label: string; pid: number }>('alpha', {});
  return { label: reply.output.label, pid: reply.output.pid, version: reply.meta.version };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

describe('the daemon host under its supervisor', () => {
  let ingest: IngestServer;
  let dataDir: string;
  let logDir: string;
  const settings = () => ['--set', `storage.dataDir=${dataDir}`, '--set', `logging.dir=${logDir}`];

  beforeAll(async () => {
    ingest = await startIngest();
    dataDir = path.join(work.dir, 'daemon-data');
    logDir = path.join(work.dir, 'daemon-logs');
  });

  afterAll(async () => {
    await ingest.close();
  });

  const atolye = (...args: string[]): Promise<CliResult> =>
    runCli([...settings(), '--set', 'security.adminToken=test-admin-token', ...args]);

  it('comes back after SIGKILL with its deployment, logs the crash and reports it to Sentry; down stops both', async () => {
    const functionsDir = path.join(work.dir, 'functions');
    writeFixtures(functionsDir, { alpha: { label: 'alpha before the crash' } });
    const built = await build(functionsDir, path.join(work.dir, 'dist'));
    const config = hostConfig(dataDir, logDir);
    const first = await startHostDaemon(config, {
      env: {
        ...process.env,
        ATOLYE_DATA_DIR: dataDir,
        ATOLYE_LOG_DIR: logDir,
        ATOLYE_HOST_PORT: '0',
        ATOLYE_API_PORT: '0',
        SENTRY_DSN: ingest.dsn,
      },
    });
    await deployOk({ url: first.url, config }, built);
    const before = await callAlpha(first.url);
    expect(before.label).toBe('alpha before the crash');
    const supervisor = supervisorStateFile(config).read();
    expect(supervisor).toMatchObject({ hostPid: first.pid, restarts: 0, state: 'running' });
    const supervisorPid = supervisor?.pid as number;
    expect(supervisorPid).not.toBe(first.pid);
    // The orchestrator the host runs, which must not outlive it.
    await eventually(
      'the orchestrator started',
      () => existsSync(path.join(dataDir, 'orchestrator.json')),
      { timeoutMs: 20_000 },
    );
    const orchestratorPid = (
      JSON.parse(readFileSync(path.join(dataDir, 'orchestrator.json'), 'utf8')) as { pid: number }
    ).pid;

    process.kill(first.pid, 'SIGKILL');

    // While it is down (the restart waits a second), status says it is being restarted.
    const during = await atolye('status', '--json');
    expect(during.code).toBe(1);
    expect(JSON.parse(during.stdout)).toMatchObject({
      running: false,
      supervisor: { pid: supervisorPid },
    });
    expect(during.stderr).toContain(`its supervisor (pid ${supervisorPid}) is restarting it`);

    // A new host, on a new port (host.port is 0 here), answering and serving alpha again.
    let second: HostState | undefined;
    await eventually(
      'a restarted host answers /healthz',
      async () => {
        second = hostState(dataDir);
        return second !== undefined && second.pid !== first.pid && (await answers(second.url));
      },
      { timeoutMs: 30_000 },
    );
    const restarted = second as HostState;
    const after = await callAlpha(restarted.url);
    expect(after).toMatchObject({ label: 'alpha before the crash', version: before.version });
    expect(after.pid).not.toBe(before.pid);
    expect(isAlive(supervisorPid)).toBe(true);
    expect(supervisorStateFile(config).read()).toMatchObject({
      pid: supervisorPid,
      hostPid: restarted.pid,
      restarts: 1,
      state: 'running',
    });
    // The dead host's orchestrator was stopped; the new host runs its own.
    await eventually('the orphaned orchestrator stopped', () => !isAlive(orchestratorPid), {
      timeoutMs: 20_000,
    });

    // One error line for the crash, in `system` and in `errors`, with its Sentry event.
    const crash = (line: LogLine) =>
      line.msg.startsWith(`the worker host (pid ${first.pid}) died with signal SIGKILL`);
    const [line] = channel(logDir, 'errors').filter(crash);
    expect(line).toMatchObject({
      level: 'error',
      channel: 'system',
      service: 'host-supervisor',
      signal: 'SIGKILL',
      crashes: 1,
      sentryEventId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(line?.msg).toContain('restarting it in 1.0 s with its last deployment');
    expect(channel(logDir, 'system').filter(crash)).toHaveLength(1);
    const event = await ingest.waitForEvent(
      (candidate) => candidate.event_id === line?.sentryEventId,
    );
    expect(event).toMatchObject({ level: 'error', environment: 'testing' });
    expect((event.tags as Record<string, string>).service).toBe('host-supervisor');
    expect(JSON.stringify(event)).toContain('died with signal SIGKILL');

    // status still finds the host, and says it is supervised.
    const status = await atolye('status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      url: restarted.url,
      host: { pid: restarted.pid },
      supervisor: { pid: supervisorPid, restarts: 1 },
    });

    // down stops the host (drained: a clean exit, not restarted) and the supervisor with it.
    const down = await atolye('down');
    expect(down).toMatchObject({ code: 0, stdout: `worker host ${restarted.url} stopped` });
    await eventually('the supervisor stopped', () => !isAlive(supervisorPid), {
      timeoutMs: 10_000,
    });
    expect(isAlive(restarted.pid)).toBe(false);
    expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'host-supervisor.json'))).toBe(false);
    await eventually('nothing of the host is left', () => processesUsing(dataDir).length === 0, {
      timeoutMs: 10_000,
    });
    expect(channel(logDir, 'errors').filter(crash)).toHaveLength(1);
  }, 120_000);
});

describe('what the supervisor does when the host ends', () => {
  const FAST: Partial<RestartPolicy> = {
    backoff: { initialMs: 20, maxMs: 100, factor: 2 },
    stableMs: 10_000,
    maxCrashes: 3,
  };
  let counter = 0;

  /**
   * A stand-in for `atolye host`: it writes host.json as the host does once it listens (so the
   * supervisor counts it as up), waits, then exits with `code` (`null`: it stays up).
   */
  function fakeHost(exitCode: number | null, upMs = 400) {
    counter += 1;
    const dataDir = path.join(work.dir, `fake-data-${counter}`);
    const logDir = path.join(work.dir, `fake-logs-${counter}`);
    const config = hostConfig(dataDir, logDir);
    const script = path.join(work.dir, `fake-host-${counter}.cjs`);
    writeFileSync(
      script,
      `const fs = require('node:fs');
fs.mkdirSync(${JSON.stringify(dataDir)}, { recursive: true });
fs.writeFileSync(${JSON.stringify(path.join(dataDir, 'host.json'))}, JSON.stringify({ pid: process.pid, url: 'http://127.0.0.1:1', startedAt: new Date().toISOString() }));
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => ${exitCode === null ? 'undefined' : `process.exit(${exitCode})`}, ${upMs});
setInterval(() => {}, 1000);
`,
    );
    const supervisor = new HostSupervisor({
      config,
      command: process.execPath,
      args: [script],
      policy: FAST,
      openLogging: () => createLogging(config, { service: 'host-supervisor' }),
    });
    return { supervisor, config, dataDir, logDir };
  }

  it('gives up after repeated fast crashes, saying so, and leaves no state file behind', async () => {
    const { supervisor, config, dataDir, logDir } = fakeHost(3);
    supervisor.start();
    const end = await supervisor.done;
    expect(end).toEqual({
      reason: 'crash-loop',
      message: expect.stringContaining('the worker host crashed 3 times in a row'),
    });
    expect(end.reason === 'crash-loop' && end.message).toContain('(crash loop)');
    const errors = channel(logDir, 'errors');
    const restarting =
      /^the worker host \(pid \d+\) died with status 3 after \d\.\d s; restarting it in 0\.\d s/;
    expect(errors.map((line) => line.msg)).toEqual([
      expect.stringMatching(restarting),
      expect.stringMatching(restarting),
      expect.stringMatching(
        /^the worker host crashed 3 times in a row, each restart lasting less than 10 s \(the last ended with status 3\)/,
      ),
    ]);
    expect(errors.map((line) => line.crashes)).toEqual([1, 2, 3]);
    expect(existsSync(supervisorStateFile(config).path)).toBe(false);
    expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
  }, 20_000);

  it('does not restart a host that exited cleanly, and logs nothing', async () => {
    const { supervisor, config, logDir } = fakeHost(0);
    supervisor.start();
    expect(await supervisor.done).toEqual({ reason: 'host-stopped' });
    expect(channel(logDir, 'errors')).toEqual([]);
    expect(existsSync(supervisorStateFile(config).path)).toBe(false);
  });

  it('stops a running host on stop(), without restarting it', async () => {
    const { supervisor, config, dataDir, logDir } = fakeHost(null);
    supervisor.start();
    await eventually('the fake host is up', () => hostState(dataDir) !== undefined, {
      timeoutMs: 5_000,
    });
    const pid = hostState(dataDir)?.pid as number;
    supervisor.stop();
    expect(await supervisor.done).toEqual({ reason: 'stopped' });
    expect(isAlive(pid)).toBe(false);
    expect(channel(logDir, 'errors')).toEqual([]);
    expect(existsSync(supervisorStateFile(config).path)).toBe(false);
  });

  it('ends, without restarting, when the first start fails before the host is up', async () => {
    const { supervisor, logDir } = fakeHost(1, 0);
    // Exits at once, before the supervisor can see its state file.
    supervisor.start();
    expect(await supervisor.done).toEqual({
      reason: 'start-failed',
      message: expect.stringContaining('the worker host exited with status 1 before it answered'),
    });
    expect(channel(logDir, 'errors')).toEqual([]);
  });
});

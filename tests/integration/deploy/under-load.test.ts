import path from 'node:path';
import { InvokeError } from '../../../src/runtime/invoke.js';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  build,
  call,
  deploy,
  deployOk,
  hostConfig,
  startTestHost,
  versionOf,
  writeFixtures,
  type AdminReply,
  type Build,
  type TestHost,
} from './helpers.js';
import { isAlive } from '../../helpers/processes.js';

interface Sample {
  caller: number;
  startedAt: number;
  endedAt: number;
  label?: string;
  version?: string;
  pid?: number;
  error?: string;
}

/**
 * `callers` sequential loops calling `name` until stop() (each with its own delay, so calls of
 * different lengths are in flight whenever a deploy switches), recording every outcome.
 */
function load(host: TestHost, name: string, callers: number) {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: callers }, async (_unused, caller) => {
    while (running) {
      const startedAt = performance.now();
      try {
        const answer = await call(host, name, { delayMs: caller * 5 });
        samples.push({
          caller,
          startedAt,
          endedAt: performance.now(),
          label: answer.label,
          version: answer.version,
          pid: answer.pid,
        });
      } catch (error) {
        const code =
          error instanceof InvokeError
            ? `${error.code} (${String(error.status)}): ${error.message}`
            : String(error);
        samples.push({ caller, startedAt, endedAt: performance.now(), error: code });
      }
    }
  });
  return {
    samples,
    /** Resolves once at least `count` more calls have completed. */
    async calls(count: number): Promise<void> {
      const target = samples.length + count;
      await eventually(`${count} more calls`, () => samples.length >= target, {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
    },
    async stop(): Promise<Sample[]> {
      running = false;
      await Promise.all(loops);
      return samples;
    },
  };
}

let work: ReturnType<typeof tempDir>;
let v1: Build;
let v2: Build;
let crashing: Build;
let host: TestHost | undefined;

beforeAll(async () => {
  work = tempDir('atolye-deploy-load-');
  const functionsDir = path.join(work.dir, 'functions');
  writeFixtures(functionsDir, { alpha: { label: 'alpha v1' }, beta: { label: 'beta v1' } });
  v1 = await build(functionsDir, path.join(work.dir, 'dist-v1'));
  writeFixtures(functionsDir, { alpha: { label: 'alpha v2' } });
  v2 = await build(functionsDir, path.join(work.dir, 'dist-v2'));
  writeFixtures(functionsDir, { alpha: { label: 'alpha v3', crashOnStart: true } });
  crashing = await build(functionsDir, path.join(work.dir, 'dist-crashing'));
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

afterAll(() => work.cleanup());

async function freshHost(name: string): Promise<TestHost> {
  host = await startTestHost(
    hostConfig(path.join(work.dir, `data-${name}`), path.join(work.dir, `logs-${name}`)),
  );
  return host;
}

describe('deploying while callers keep calling', () => {
  it('switches 4 continuous callers from the old version to the new one with zero failed calls', async () => {
    const target = await freshHost('switch');
    await deployOk(target, v1);
    const oldPid = (await call(target, 'alpha')).pid;

    const traffic = load(target, 'alpha', 4);
    await traffic.calls(40);
    const deployStart = performance.now();
    const result = await deployOk(target, v2);
    const deployEnd = performance.now();
    await traffic.calls(40);
    const samples = await traffic.stop();
    await target.host.deployer.settled();

    const failed = samples.filter((sample) => sample.error !== undefined);
    const during = samples.filter(
      (sample) => sample.endedAt > deployStart && sample.startedAt < deployEnd,
    );
    console.log(
      `deploy under load: ${samples.length} calls by 4 callers, ${failed.length} failed, ` +
        `${during.length} overlapped the deploy, which took ${Math.round(deployEnd - deployStart)} ms`,
    );
    expect(failed.map((sample) => sample.error)).toEqual([]);
    expect(result.functions.find((fn) => fn.name === 'alpha')?.change).toBe('started');
    // The load really spanned the deploy: calls ran while the new version was starting.
    expect(during.length).toBeGreaterThanOrEqual(4);

    const v1Version = versionOf(v1, 'alpha');
    const v2Version = versionOf(v2, 'alpha');
    for (let caller = 0; caller < 4; caller += 1) {
      const seen = samples
        .filter((sample) => sample.caller === caller)
        .map((sample) => sample.label);
      const firstNew = seen.indexOf('alpha v2');
      // Each caller saw the old version, then the new one, and never the old one again.
      expect(firstNew).toBeGreaterThan(0);
      expect(new Set(seen.slice(0, firstNew))).toEqual(new Set(['alpha v1']));
      expect(new Set(seen.slice(firstNew))).toEqual(new Set(['alpha v2']));
    }
    for (const sample of samples) {
      expect(sample.version).toBe(sample.label === 'alpha v1' ? v1Version : v2Version);
      // Every call that started after the deploy answered was served by the new version.
      if (sample.startedAt > deployEnd) expect(sample.label).toBe('alpha v2');
    }
    // The old pool finished its calls and stopped its worker.
    expect(isAlive(oldPid)).toBe(false);
  });

  it('a deploy that fails its health check under load costs no call either', async () => {
    const target = await freshHost('failed');
    await deployOk(target, v1);

    const traffic = load(target, 'alpha', 4);
    await traffic.calls(20);
    const reply: AdminReply = await deploy(target, crashing);
    await traffic.calls(20);
    const samples = await traffic.stop();

    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ error: { code: 'DEPLOY_FAILED' } });
    expect(
      samples.filter((sample) => sample.error !== undefined).map((sample) => sample.error),
    ).toEqual([]);
    expect(new Set(samples.map((sample) => sample.label))).toEqual(new Set(['alpha v1']));
    expect(new Set(samples.map((sample) => sample.pid)).size).toBe(1);
  });
});

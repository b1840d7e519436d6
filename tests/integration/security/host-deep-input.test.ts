import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../src/config/paths.js';
import { MAX_JSON_DEPTH } from '../../../src/json-depth.js';
import { jest } from '@jest/globals';
import { WorkerProcess, type FunctionPool } from '../../../src/runtime/host/index.js';
import { signedCall } from '../../helpers/signed-call.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { admin, build, deployOk, hostConfig, recordedHostPid } from '../deploy/helpers.js';
import { bundleFixtures, PoolSet, poolSpec, recordingLogger } from '../runtime/host/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { isAlive, processesUsing, stopProcess } from '../../helpers/processes.js';

// A signed call whose input nests thousands of levels deep used to end the whole worker host
// (Node's IPC serialisation overflowed the stack outside any request). The host runs as its own
// process here, as it does for a user, so a crash shows as a dead process, not a failed test run.

const SECRET = 'test-signing-secret';
const DEPS = path.join(projectRoot(), 'tests/integration/deploy/fixtures/deps.ts');

/** `{"input":{"value":[[[…]]]}}` with `levels` nested arrays: about 2 bytes a level. */
function deepBody(levels: number): string {
  return `{"input":{"value":${'['.repeat(levels)}${']'.repeat(levels)}},"meta":{}}`;
}

/** A function that says which worker ran it and how often: a refused call never counts. */
function counterSource(functionsDir: string, name: string, limits: string): string {
  const deps = path.relative(path.join(functionsDir, name), DEPS).replace(/\.ts$/, '.js');
  return `import { defineFunction, z } from '${deps}';
let invocations = 0;
export default defineFunction({
  name: '${name}',
  description: 'counts its calls',
  input: z.object({ value: z.unknown().optional(), nestOutput: z.number().int().optional() }),
  output: z.object({ pid: z.number(), invocations: z.number(), nested: z.unknown().optional() }),
  limits: ${limits},
  async handle(input) {
    invocations += 1;
    if (input.nestOutput === undefined) return { pid: process.pid, invocations };
    let nested = [];
    for (let level = 1; level < input.nestOutput; level += 1) nested = [nested];
    return { pid: process.pid, invocations, nested };
  },
});
`;
}

let work: ReturnType<typeof tempDir>;
let dataDir: string;
let logDir: string;
let host: ChildProcess;
let url: string;
const config = () => hostConfig(dataDir, logDir);

beforeAll(async () => {
  work = tempDir('atolye-deep-input-');
  dataDir = path.join(work.dir, 'data');
  logDir = path.join(work.dir, 'logs');
  const functionsDir = path.join(work.dir, 'functions');
  writeFiles(functionsDir, {
    'package.json': { type: 'module', private: true },
    // Cold: its health-check worker stops a second after the deploy, so calls queue for a new one.
    'cold/index.ts': counterSource(
      functionsDir,
      'cold',
      '{ timeoutMs: 5000, memoryMb: 128, concurrency: 1, minWorkers: 0, maxWorkers: 1, idleMs: 1000 }',
    ),
    'warm/index.ts': counterSource(
      functionsDir,
      'warm',
      '{ timeoutMs: 5000, memoryMb: 128, concurrency: 4, minWorkers: 1, maxWorkers: 1, idleMs: 60000 }',
    ),
  });
  const built = await build(functionsDir, path.join(work.dir, 'dist'));

  host = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), 'host', '--no-orchestrator'],
    {
      cwd: projectRoot(),
      stdio: 'ignore',
      env: {
        ...process.env,
        ATOLYE_ENV: 'testing',
        ATOLYE_DATA_DIR: dataDir,
        ATOLYE_LOG_DIR: logDir,
        ATOLYE_HOST_PORT: '0',
      },
    },
  );
  await eventually('the host wrote host.json', () => recordedHostPid(dataDir) === host.pid, {
    timeoutMs: 20_000,
  });
  url = (JSON.parse(readFileSync(path.join(dataDir, 'host.json'), 'utf8')) as { url: string }).url;
  await deployOk({ url, config: config() }, built);
}, 60_000);

afterAll(async () => {
  if (host) await stopProcess(host, { graceMs: 15_000 });
  for (const leaked of processesUsing(work.dir)) process.kill(leaked.pid, 'SIGKILL');
  work.cleanup();
});

interface Counted {
  output: { pid: number; invocations: number };
}

async function workersOf(name: string): Promise<number> {
  const status = await admin<{ functions: { name: string; workers: { total: number } }[] }>(
    { url, config: config() },
    'GET',
    '/admin/status',
  );
  return status.body.functions.find((fn) => fn.name === name)?.workers.total ?? -1;
}

describe.each([
  ['a cold pool (the call waits for a worker to start)', 'cold'],
  ['a warm pool', 'warm'],
])('a signed call nested 5,000 levels deep to %s', (_label, name) => {
  it(`is refused with 400 INPUT_TOO_DEEP naming the limit; the host and the function go on`, async () => {
    const normalCall = async () => {
      const reply = await signedCall(url, name, { input: { value: [[[1]]] } }, { secret: SECRET });
      expect(reply.status).toBe(200);
      return (reply.body as Counted).output;
    };
    // The calls its worker has run so far: none for a cold pool, whose worker is yet to start.
    let baseline = 0;
    if (name === 'cold') {
      await eventually('the cold pool is empty', async () => (await workersOf('cold')) === 0);
    } else {
      baseline = (await normalCall()).invocations;
    }
    const refused = await signedCall(url, name, undefined, {
      secret: SECRET,
      rawBody: deepBody(5_000),
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: {
        code: 'INPUT_TOO_DEEP',
        message: expect.stringContaining(
          `input nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
        ),
        retryable: false,
      },
    });

    expect(isAlive(host.pid as number)).toBe(true);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);

    // A normal call runs; the refused one never reached the handler.
    const first = await normalCall();
    expect(first.invocations).toBe(baseline + 1);

    // Exactly at the limit is still fine: the input object itself is the first level.
    const atLimit = await signedCall(url, name, undefined, {
      secret: SECRET,
      rawBody: deepBody(MAX_JSON_DEPTH - 1),
    });
    expect(atLimit.status).toBe(200);
    expect((atLimit.body as Counted).output).toEqual({
      pid: first.pid,
      invocations: baseline + 2,
    });
    const over = await signedCall(url, name, undefined, {
      secret: SECRET,
      rawBody: deepBody(MAX_JSON_DEPTH),
    });
    expect(over.status).toBe(400);
  });
});

test('an output nested deeper than the limit is a 500 OUTPUT_TOO_DEEP, not a reply the host chokes on', async () => {
  const call = (nestOutput: number) =>
    signedCall(url, 'warm', { input: { nestOutput } }, { secret: SECRET });
  // The output object is one level, `nested` the others.
  expect((await call(MAX_JSON_DEPTH - 1)).status).toBe(200);
  const refused = await call(MAX_JSON_DEPTH);
  expect(refused.status).toBe(500);
  expect(refused.body).toEqual({
    error: {
      code: 'OUTPUT_TOO_DEEP',
      message: expect.stringContaining(`nested deeper than ${MAX_JSON_DEPTH} levels`),
      retryable: false,
    },
  });
  expect((await call(100_000)).body).toMatchObject({ error: { code: 'OUTPUT_TOO_DEEP' } });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
});

describe('a worker that cannot be sent the input', () => {
  // Inputs that never come from HTTP (the gateway refuses deep ones, JSON has no BigInt), sent to
  // pools directly: the serialisation fails inside the host, where it used to escape.
  const pools = new PoolSet();
  let echo: string;

  beforeAll(async () => {
    const outDir = path.join(work.dir, 'pool-bundles');
    mkdirSync(outDir);
    ({ echo } = await bundleFixtures(['echo'], outDir));
  });
  afterAll(() => pools.drainAll());

  function nested(levels: number): unknown {
    let value: unknown = 'bottom';
    for (let level = 0; level < levels; level += 1) value = [value];
    return { message: 'deep', extra: value };
  }

  it.each([
    ['a deep input, cold pool', 'deep-cold', 0, nested(100_000), 'Maximum call stack size'],
    ['a deep input, warm pool', 'deep-warm', 1, nested(100_000), 'Maximum call stack size'],
    ['a BigInt, warm pool', 'bigint-warm', 1, { message: 'big', extra: 10n }, 'BigInt'],
  ])(
    'fails only that call with 400 INPUT_UNSENDABLE (%s); the worker serves the next',
    async (_label, name, minWorkers, input, reason) => {
      const pool: FunctionPool = pools.make(poolSpec(name, echo, { minWorkers, maxWorkers: 1 }));
      if (minWorkers > 0) await pool.start();
      const result = await pool.invoke(input);
      expect(result).toMatchObject({
        ok: false,
        status: 400,
        error: { code: 'INPUT_UNSENDABLE', retryable: false },
      });
      expect(result.ok ? '' : result.error.message).toContain(reason);

      const next = await pool.invoke({ message: 'after' });
      expect(next).toMatchObject({ ok: true, output: { message: 'after', invocations: 1 } });
      expect(pool.stats()).toMatchObject({ crashes: 0, inFlight: 0, queued: 0, starts: 1 });
    },
  );

  it.each([
    ['cold', 0],
    ['warm', 1],
  ])(
    'turns a fault of the host while it hands a call to a worker into a 500 for that call (%s pool)',
    async (label, minWorkers) => {
      const logger = recordingLogger();
      const pool = pools.make(poolSpec(`faulty-${label}`, echo, { minWorkers, maxWorkers: 1 }), {
        logger,
      });
      if (minWorkers > 0) await pool.start();
      // Whatever throws in there, it must not escape into the event loop: it used to end the host.
      const invoke = jest.spyOn(WorkerProcess.prototype, 'invoke').mockImplementationOnce(() => {
        throw new RangeError('Maximum call stack size exceeded');
      });
      try {
        const result = await pool.invoke({ message: 'first' });
        expect(result).toMatchObject({
          ok: false,
          status: 500,
          error: { code: 'INTERNAL', retryable: false },
        });
        expect(logger.lines).toContainEqual(
          expect.objectContaining({
            level: 'error',
            msg: expect.stringContaining('Maximum call stack size exceeded'),
          }),
        );
      } finally {
        invoke.mockRestore();
      }
      expect(await pool.invoke({ message: 'second' })).toMatchObject({
        ok: true,
        output: { message: 'second' },
      });
      expect(pool.stats()).toMatchObject({ crashes: 0, inFlight: 0, queued: 0 });
    },
  );
});

import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  approvalKeyFrom,
  DEFAULT_RISKY_COMMANDS,
  DEFAULT_RISKY_PATHS,
  signApproval,
} from '../../../src/agent/approval/index.js';
import { projectRoot } from '../../../src/config/paths.js';
import {
  buildFunctions,
  Manifest,
  MANIFEST_FILE,
  type ManifestFunction,
} from '../../../src/runtime/bundle/index.js';
import {
  BUNDLE_BUDGET_BYTES,
  MODEL_KEY_SECRET,
  bundleBudget,
} from '../../../src/runtime/bundle/budget.js';
import type { WorkerMessage } from '../../../src/runtime/protocol.js';
import { exitOf, runProcess, stopProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/tmp.js';

/** Builds the real functions/ folder once and checks the bundles as a host would use them. */
describe('buildFunctions on the real functions/ folder', () => {
  const out = tempDir('atolye-bundle-');
  const again = tempDir('atolye-bundle-again-');
  let manifest: Manifest;
  let echo: ManifestFunction;
  let bundle: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    manifest = await buildFunctions({ outDir: out.dir });
    const found = manifest.functions.find((fn) => fn.name === 'echo');
    if (!found) throw new Error('echo is missing from the manifest');
    echo = found;
    bundle = path.join(out.dir, echo.entry);
  });

  afterAll(async () => {
    for (const child of children) await stopProcess(child, { signal: 'SIGKILL' });
    out.cleanup();
    again.cleanup();
  });

  it('writes a manifest that the schema accepts, with echo declared as in its source', () => {
    const onDisk = Manifest.parse(
      JSON.parse(readFileSync(path.join(out.dir, MANIFEST_FILE), 'utf8')),
    );
    expect(onDisk).toEqual(manifest);
    expect(echo).toMatchObject({
      name: 'echo',
      description: expect.stringContaining('Returns its message'),
      limits: {
        timeoutMs: 10_000,
        memoryMb: 128,
        concurrency: 8,
        minWorkers: 0,
        maxWorkers: 2,
        idleMs: 60_000,
        retries: 0,
      },
      secrets: ['ECHO_SECRET'],
      entry: 'functions/echo/index.mjs',
      external: [],
    });
    expect(manifest.functions.map((fn) => fn.name)).toEqual(
      [...manifest.functions.map((fn) => fn.name)].sort(),
    );
    expect(Date.parse(manifest.builtAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('bundles the five agent steps and checkout within their size budgets, the model key only where the model is called, the git token only in checkout', () => {
    const steps = manifest.functions.filter((fn) => fn.name !== 'echo');
    expect(steps.map((fn) => fn.name)).toEqual([
      'act',
      'checkout',
      'finalize',
      'plan',
      'review',
      'tools',
    ]);
    const withToken = manifest.functions.filter((fn) => fn.secrets.includes('ATOLYE_GIT_TOKEN'));
    expect(withToken.map((fn) => fn.name)).toEqual(['checkout']);
    for (const fn of manifest.functions) {
      expect(fn.bytes).toBeLessThanOrEqual(bundleBudget(fn));
    }
    const keyed = steps.filter((fn) => fn.secrets.some((secret) => MODEL_KEY_SECRET.test(secret)));
    expect(keyed.map((fn) => fn.name)).toEqual(['act', 'plan', 'review']);
    expect(bundleBudget(manifest.functions.find((fn) => fn.name === 'tools')!)).toBe(
      BUNDLE_BUDGET_BYTES.default,
    );
  });

  it('carries each step and none of the platform: no configuration loader, no logging stack, no LangChain where no model is called', () => {
    const inputsOf = (name: string): string[] =>
      Object.keys(
        (
          JSON.parse(readFileSync(path.join(out.dir, 'functions', name, 'meta.json'), 'utf8')) as {
            inputs: Record<string, unknown>;
          }
        ).inputs,
      );
    const platform =
      /node_modules\/(convict|winston|winston-daily-rotate-file|file-stream-rotator|logform|moment)\/|^src\/(logging\/|config\/(load|index)\.ts)/;
    const langchain = /node_modules\/(@langchain\/|langsmith\/|openai\/)/;
    for (const fn of manifest.functions) {
      expect({
        name: fn.name,
        platform: inputsOf(fn.name).filter((i) => platform.test(i)),
      }).toEqual({ name: fn.name, platform: [] });
    }
    for (const name of ['tools', 'finalize', 'echo', 'checkout']) {
      expect({ name, langchain: inputsOf(name).filter((i) => langchain.test(i)) }).toEqual({
        name,
        langchain: [],
      });
    }
    // The model steps keep their client.
    expect(inputsOf('act').some((i) => i.includes('node_modules/@langchain/openai/'))).toBe(true);
    const tools = manifest.functions.find((fn) => fn.name === 'tools')!;
    expect(tools).toMatchObject({
      secrets: ['ATOLYE_APPROVAL_KEY'],
      settings: [
        'env',
        'workspace.root',
        'sandbox',
        'agent.approval',
        'agent.riskyCommands',
        'agent.riskyPaths',
      ],
    });
  });

  it('starts a tools worker on the settings the host hands it, without any configuration file', async () => {
    const tools = manifest.functions.find((fn) => fn.name === 'tools')!;
    const workspaceRoot = path.join(out.dir, 'workspaces');
    const settings = {
      env: 'testing',
      workspace: { root: workspaceRoot },
      sandbox: {
        mode: 'none',
        timeoutMs: 5000,
        cpuSeconds: 5,
        memoryMb: 256,
        fileSizeMb: 1,
        processes: 8,
        outputCapBytes: 1000,
      },
      agent: {
        approval: 'never',
        riskyCommands: [...DEFAULT_RISKY_COMMANDS],
        riskyPaths: [...DEFAULT_RISKY_PATHS],
      },
    };
    // The working directory holds no config/ folder: the worker reads only what it was handed.
    const start = (env: NodeJS.ProcessEnv): ChildProcess => {
      const child = fork(path.join(out.dir, tools.entry), [], {
        cwd: out.dir,
        env: { ATOLYE_WORKER: 'ipc', PATH: process.env.PATH, ...env },
        execArgv: [],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      children.push(child);
      return child;
    };
    const child = start({ ATOLYE_SETTINGS: JSON.stringify(settings) });
    const messages = collect(child);
    await messages.next((m) => m.t === 'ready');
    child.send({
      t: 'invoke',
      id: '1',
      input: {
        toolCalls: [{ id: 'c1', name: 'write_file', args: { path: 'a.txt', content: 'hi\n' } }],
      },
      meta: { invocationId: 'i1', attempt: 1, threadId: 'thread-s' },
      timeoutMs: 10_000,
    });
    const result = await messages.next((m) => m.t === 'result' && m.id === '1');
    expect(result).toMatchObject({ ok: true, output: { filesChanged: ['a.txt'] } });
    expect(readFileSync(path.join(workspaceRoot, 'thread-s', 'a.txt'), 'utf8')).toBe('hi\n');
    // The sandbox warned through the forwarding logger, not a log file of its own.
    expect(messages.raw.flatMap((m) => (m.t === 'batch' ? m.messages : [m]))).toContainEqual({
      t: 'log',
      record: expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining('SANDBOX DISABLED'),
      }),
    });
    child.kill();

    // Without its declared settings it does not start, and says which are missing.
    const bare = start({});
    let stderr = '';
    bare.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { code } = await exitOf(bare);
    expect(code).toBe(78);
    expect(stderr).toContain('no value for the declared setting(s) env, workspace.root, sandbox');

    // Under approval "risky" the worker itself refuses a risky call without the orchestrator's
    // signed approval, and runs it with one.
    const key = approvalKeyFrom('bundle-test-secret');
    const strict = start({
      ATOLYE_SETTINGS: JSON.stringify({
        ...settings,
        agent: { ...settings.agent, approval: 'risky' },
      }),
      ATOLYE_APPROVAL_KEY: key,
    });
    const replies = collect(strict);
    await replies.next((m) => m.t === 'ready');
    const risky = { id: 'c2', name: 'run_command', args: { command: 'rm -rf a.txt' } };
    const invoke = (id: string, approvals?: Record<string, string>): void => {
      strict.send({
        t: 'invoke',
        id,
        input: { toolCalls: [risky], ...(approvals ? { approvals } : {}) },
        meta: { invocationId: `i${id}`, attempt: 1, threadId: 'thread-s' },
        timeoutMs: 10_000,
      });
    };
    invoke('2', { c2: signApproval(approvalKeyFrom('another secret'), 'thread-s', risky) });
    expect(await replies.next((m) => m.t === 'result' && m.id === '2')).toMatchObject({
      ok: true,
      output: { results: [{ id: 'c2', ok: false, code: 'APPROVAL_MISSING' }] },
    });
    expect(existsSync(path.join(workspaceRoot, 'thread-s', 'a.txt'))).toBe(true);
    invoke('3', { c2: signApproval(key, 'thread-s', risky) });
    expect(await replies.next((m) => m.t === 'result' && m.id === '3')).toMatchObject({
      ok: true,
      output: { results: [{ id: 'c2', ok: true }] },
    });
    expect(existsSync(path.join(workspaceRoot, 'thread-s', 'a.txt'))).toBe(false);
    strict.kill();
  });

  it('versions each bundle by the sha256 of its bytes and writes its source map and metafile beside it', () => {
    const code = readFileSync(bundle);
    expect(echo.bytes).toBe(code.byteLength);
    expect(echo.version).toBe(createHash('sha256').update(code).digest('hex').slice(0, 12));
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(path.dirname(bundle), 'meta.json'), 'utf8')) as {
      inputs: object;
    };
    expect(Object.keys(meta.inputs)).toContain('functions/echo/index.ts');
    expect(code.toString()).toMatch(/\n\/\/# sourceMappingURL=index\.mjs\.map\n?$/);
  });

  it('keeps absolute paths and timestamps out of the bundle', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).not.toContain(projectRoot());
    expect(code).not.toContain(out.dir);
    expect(code).not.toContain(manifest.builtAt.slice(0, 10));
  });

  it('builds the same bytes and versions a second time', async () => {
    const second = await buildFunctions({ outDir: again.dir });
    expect(second.version).toBe(manifest.version);
    expect(second.functions.map((fn) => [fn.name, fn.version, fn.bytes])).toEqual(
      manifest.functions.map((fn) => [fn.name, fn.version, fn.bytes]),
    );
    for (const fn of manifest.functions) {
      expect(
        readFileSync(path.join(again.dir, fn.entry)).equals(
          readFileSync(path.join(out.dir, fn.entry)),
        ),
      ).toBe(true);
    }
  });

  it('serves invocations as a self-contained worker started by the host', async () => {
    // Only PATH: the bundle must find nothing from the checkout (no tsx, no NODE_OPTIONS loader).
    const child = fork(bundle, [], {
      cwd: out.dir,
      env: { ATOLYE_WORKER: 'ipc', PATH: process.env.PATH },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.push(child);
    const messages = collect(child);

    const ready = await messages.next((m) => m.t === 'ready');
    expect(ready).toMatchObject({ t: 'ready', pid: child.pid });
    expect(ready.t === 'ready' && ready.initMs).toBeGreaterThan(0);

    child.send({
      t: 'invoke',
      id: '1',
      input: { message: 'hi' },
      meta: { invocationId: 'i1', attempt: 1 },
      timeoutMs: 5000,
    });
    expect(await messages.next((m) => m.t === 'result' && m.id === '1')).toMatchObject({
      ok: true,
      output: { message: 'hi', pid: child.pid, invocations: 1, envValue: null },
    });
    // The record the handler logged travels with its result, in one IPC write.
    expect(messages.raw).toContainEqual({
      t: 'batch',
      messages: [
        expect.objectContaining({ t: 'result', id: '1', ok: true }),
        { t: 'log', record: expect.objectContaining({ msg: 'echo', invocationId: 'i1' }) },
      ],
    });

    child.send({
      t: 'invoke',
      id: '2',
      input: { message: 42 },
      meta: { invocationId: 'i2', attempt: 1 },
      timeoutMs: 5000,
    });
    const invalid = await messages.next((m) => m.t === 'result' && m.id === '2');
    expect(invalid).toMatchObject({
      ok: false,
      status: 400,
      error: { code: 'INPUT_INVALID', retryable: false },
    });
    expect(invalid.t === 'result' && !invalid.ok && invalid.error.message).toMatch(
      /message: .*expected string/,
    );

    await stopProcess(child);
  });

  it.each([
    ['without ATOLYE_WORKER', {}],
    ['with ATOLYE_WORKER=ipc but no IPC channel', { ATOLYE_WORKER: 'ipc' }],
  ])('has no side effect when imported %s, and exports the definition', async (_label, env) => {
    const script = `
      const mod = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      const fn = mod.default;
      process.stdout.write(JSON.stringify({
        kind: fn.kind, name: fn.name, limits: fn.limits, parsed: fn.input.safeParse({ message: 'x' }).success,
        messageListeners: process.listenerCount('message'), disconnectListeners: process.listenerCount('disconnect'),
      }));`;
    // It exits by itself: a serving worker would keep the process alive (until the timeout).
    const { code, stdout, stderr } = await runProcess(
      process.execPath,
      ['--input-type=module', '-e', script],
      { env: { PATH: process.env.PATH, ...env }, timeoutMs: 20_000 },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      kind: 'atolye.function',
      name: 'echo',
      limits: echo.limits,
      parsed: true,
      messageListeners: 0,
      disconnectListeners: 0,
    });
  });
});

/** Messages from a worker, awaited by predicate; fails fast when the worker exits. */
function collect(child: ChildProcess): {
  next(match: (m: WorkerMessage) => boolean): Promise<WorkerMessage>;
  raw: WorkerMessage[];
} {
  const raw: WorkerMessage[] = [];
  const seen: WorkerMessage[] = [];
  const waiters: { match: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void }[] =
    [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const receive = (message: WorkerMessage): void => {
    if (message.t === 'batch') {
      message.messages.forEach(receive);
      return;
    }
    const waiter = waiters.find((w) => w.match(message));
    if (waiter) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    } else seen.push(message);
  };
  child.on('message', (message: WorkerMessage) => {
    raw.push(message);
    receive(message);
  });
  return {
    raw,
    next(match) {
      const earlier = seen.find(match);
      if (earlier) {
        seen.splice(seen.indexOf(earlier), 1);
        return Promise.resolve(earlier);
      }
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        child.once('exit', (code) =>
          reject(new Error(`worker exited (${code}) before replying: ${stderr}`)),
        );
      });
    },
  };
}

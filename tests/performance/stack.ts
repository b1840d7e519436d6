import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths.js';
import { runCli, setFlags, ATOLYE_BIN } from './cli.js';
import { eventually, giveUp } from '../helpers/eventually.js';
import { stopProcess, watchProcess } from '../helpers/processes.js';
import type { BenchContext } from './harness.js';
import { startSlowModel, type SlowModel } from './model-latency.js';

/** The one-file task every end-to-end run performs, and the script the mock model replays for it. */
export const SIMPLE_TASK = 'write hello.py that prints hello, run it, and finish';
export const SIMPLE_FILE = 'hello.py';
export const SIMPLE_SCRIPT = {
  model: 'mock',
  turns: [
    {
      reply: {
        content: JSON.stringify({ steps: ['write hello.py'], checks: ['python3 hello.py'] }),
      },
      usage: { prompt_tokens: 40, completion_tokens: 12 },
    },
    {
      reply: {
        tool_calls: [
          { name: 'write_file', arguments: { path: SIMPLE_FILE, content: "print('hello')\n" } },
          { name: 'run_command', arguments: { command: 'python3 hello.py' } },
        ],
      },
      usage: { prompt_tokens: 60, completion_tokens: 15 },
    },
    {
      reply: {
        tool_calls: [{ name: 'finish', arguments: { summary: 'Wrote and ran hello.py.' } }],
      },
      usage: { prompt_tokens: 80, completion_tokens: 8 },
    },
  ],
};

/**
 * The product as a user runs it on one machine: `atolye host` (the worker host, which supervises
 * the orchestrator and its run API) in production mode, the bench's build deployed to it through
 * the admin API, an API key from `atolye keys create`, and the mock model server behind a proxy
 * that adds latency. Shared by the benchmarks that need a running host.
 */
export interface Stack extends Product {
  model: SlowModel;
  /** Starts the mock model's script over (POST /__mock/reset). */
  resetModel(): Promise<void>;
}

/** How long the stack may take to come up, asked every quarter second. */
const STARTING = { timeoutMs: 90_000, intervalMs: 250 };

export function sharedStack(ctx: BenchContext): Promise<Stack> {
  return ctx.shared('the worker host and run API', () => startStack(ctx));
}

async function startStack(ctx: BenchContext): Promise<Stack> {
  const root = ctx.dir('stack');
  const scriptFile = path.join(root, 'simple.script.json');
  writeFileSync(scriptFile, `${JSON.stringify(SIMPLE_SCRIPT, null, 2)}\n`);
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const mock = await startMockProcess(ctx, scriptFile);
    closers.push(mock.close);
    const model = await startSlowModel(mock.url);
    closers.push(() => model.close());
    const product = await startProduct(ctx, root, { modelUrl: model.url });
    closers.push(product.close);
    return { ...product, model, resetModel: mock.reset, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The product without its model: what `startProduct` starts, for a model of the caller's. */
export interface Product {
  hostUrl: string;
  apiUrl: string;
  apiKey: string;
  /** The environment and `--set` flags every `atolye` command of this stack needs. */
  env: NodeJS.ProcessEnv;
  sets: string[];
  workspaceRoot: string;
  /** The `atolye host` process, and the orchestrator it supervises. */
  hostPid: number;
  orchestratorPid: number | undefined;
  /** Signs calls to the host's functions, as the orchestrator does. */
  signingSecret: string;
  /** SIGTERM to the host (it stops its orchestrator and drains its workers), SIGKILL after 30 s. */
  close(): Promise<void>;
}

/**
 * `atolye host` in production mode under `root`, the bench's build deployed to it through the
 * admin API, and an API key from `atolye keys create`; its steps call the model at `modelUrl`.
 * `settings` are more `--set` flags, after the stack's own.
 */
export async function startProduct(
  ctx: BenchContext,
  root: string,
  options: { modelUrl: string; settings?: Record<string, string> },
): Promise<Product> {
  const workspaceRoot = path.join(root, 'workspaces');
  // The sandbox binds workspaces into a user namespace; others must be able to enter the path.
  mkdirSync(workspaceRoot, { recursive: true, mode: 0o755 });
  const adminToken = randomBytes(24).toString('hex');
  const signingSecret = randomBytes(24).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ATOLYE_ENV: 'production',
    ATOLYE_SIGNING_SECRET: signingSecret,
    ATOLYE_ADMIN_TOKEN: adminToken,
    OPENAI_BASE_URL: options.modelUrl,
    OPENAI_API_KEY: 'bench-key-not-checked-by-the-mock',
    ATOLYE_MODEL: 'mock',
  };
  const sets = setFlags({
    'storage.dataDir': path.join(root, 'data'),
    'logging.dir': path.join(root, 'logs'),
    'workspace.root': workspaceRoot,
    'host.port': '0',
    'api.port': '0',
    ...options.settings,
  });
  const host = ctx.spawn(process.execPath, [ATOLYE_BIN, ...sets, 'host'], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let hostStderr = '';
  host.stderr?.on('data', (chunk: Buffer) => (hostStderr = (hostStderr + chunk).slice(-4_000)));
  // SIGTERM: the host stops its orchestrator and drains its workers, as on a user's Ctrl-C.
  const close = (): Promise<void> => stopProcess(host, { graceMs: 30_000 });
  try {
    const status = (): Promise<HostStatusJson | undefined> => statusJson(ctx, env, sets);
    const running = await eventually(
      'the worker host to answer',
      async () => {
        if (host.exitCode !== null) giveUp(`atolye host exited: ${hostStderr}`);
        const now = await status();
        return now?.running && now.url ? now : undefined;
      },
      STARTING,
    );
    const hostUrl = running.url as string;
    const dist = await ctx.dist();
    const deployed = await fetch(`${hostUrl}/admin/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ manifest: dist.manifest, distDir: dist.outDir }),
      signal: AbortSignal.timeout(120_000),
    });
    if (!deployed.ok)
      throw new Error(`deploy answered ${deployed.status}: ${await deployed.text()}`);
    const ready = await eventually(
      'the run API to be ready',
      async () => {
        const now = await status();
        // "warn" is ready too (production without a Sentry DSN warns).
        const readiness = now?.readiness?.orchestrator?.status;
        return now?.apiUrl && (readiness === 'pass' || readiness === 'warn') ? now : undefined;
      },
      STARTING,
    );
    for (const service of ready.services ?? []) if (service.pid) ctx.adopt(service.pid);
    const created = await runCli(
      ctx,
      [...sets, 'keys', 'create', '--name', 'bench', '--json'],
      env,
    );
    const apiKey = (JSON.parse(created.stdout) as { key?: string }).key;
    if (created.code !== 0 || !apiKey) throw new Error(`keys create failed: ${created.stderr}`);
    return {
      hostUrl,
      apiUrl: ready.apiUrl as string,
      apiKey,
      env,
      sets,
      workspaceRoot,
      hostPid: host.pid as number,
      orchestratorPid: ready.services?.find((service) => service.name === 'orchestrator')?.pid,
      signingSecret,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface HostStatusJson {
  running: boolean;
  url?: string;
  apiUrl?: string | null;
  readiness?: { orchestrator?: { status?: string } | null };
  services?: { name?: string; pid?: number }[];
}

/** `atolye status --json`, the interface the CLI keeps for scripts; undefined while nothing answers. */
async function statusJson(
  ctx: BenchContext,
  env: NodeJS.ProcessEnv,
  sets: string[],
): Promise<HostStatusJson | undefined> {
  const result = await runCli(ctx, [...sets, 'status', '--json'], env);
  try {
    return JSON.parse(result.stdout) as HostStatusJson;
  } catch {
    return undefined;
  }
}

/** `atolye mock-llm --script FILE --port 0`: it prints its base URL on stdout once it listens. */
export async function startMockProcess(
  ctx: BenchContext,
  scriptFile: string,
): Promise<{ url: string; reset(): Promise<void>; close(): Promise<void> }> {
  const child = ctx.spawn(
    process.execPath,
    [ATOLYE_BIN, 'mock-llm', '--script', scriptFile, '--port', '0'],
    { cwd: projectRoot(), env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watched = watchProcess(child);
  const [url] = await watched.waitFor(/http:\/\/\S+\/v1/, 'atolye mock-llm to print its URL');
  const origin = new URL(url).origin;
  return {
    url,
    async reset() {
      const answer = await fetch(`${origin}/__mock/reset`, { method: 'POST' });
      if (!answer.ok) throw new Error(`mock reset answered ${answer.status}`);
    },
    close: () => watched.stop(),
  };
}

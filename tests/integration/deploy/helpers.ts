import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/index.js';
import type { AtolyeConfig } from '../../../src/config/schema.js';
import { startHost, type RunningHost } from '../../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../../src/logging/index.js';
import { buildFunctions, type Manifest } from '../../../src/runtime/bundle/index.js';
import type { DeployResult } from '../../../src/runtime/host/deployer.js';
import type { PoolStats } from '../../../src/runtime/host/index.js';
import { createInvoker, type Invoke } from '../../../src/runtime/invoke.js';
import { writeFiles } from '../../helpers/tmp.js';

const DEPS = fileURLToPath(new URL('./fixtures/deps.ts', import.meta.url));

export interface FixtureOptions {
  /** Baked into the bundle and returned by every call, so a reply says which build answered. */
  label: string;
  /** The module throws while a worker loads it: the version can never pass a health check. */
  crashOnStart?: boolean;
}

/**
 * Source of a fixture function `name`: `{ delayMs? }` → `{ label, pid, invocations }`. A different
 * label is a different bundle, hence a different version.
 */
export function fixtureSource(functionsDir: string, name: string, options: FixtureOptions): string {
  const deps = path
    .relative(path.join(functionsDir, name), DEPS)
    .split(path.sep)
    .join('/')
    .replace(/\.ts$/, '.js');
  return `import { defineFunction, z } from '${deps}';

// Only a worker started by the host crashes; the build imports the module in its own process.
if (${String(options.crashOnStart === true)} && process.env.ATOLYE_WORKER === 'ipc') {
  throw new Error('${name} refuses to start (on purpose)');
}

let invocations = 0;

export default defineFunction({
  name: '${name}',
  description: 'deploy fixture ${name}',
  input: z.object({ delayMs: z.number().int().min(0).max(5000).optional() }),
  output: z.object({ label: z.string(), pid: z.number(), invocations: z.number() }),
  limits: { timeoutMs: 5000, memoryMb: 128, concurrency: 8, minWorkers: 0, maxWorkers: 2, idleMs: 60000 },
  async handle(input) {
    invocations += 1;
    if (input.delayMs) await new Promise((resolve) => setTimeout(resolve, input.delayMs));
    return { label: ${JSON.stringify(options.label)}, pid: process.pid, invocations };
  },
});
`;
}

/** Writes (or rewrites) fixture functions in an ESM package folder, as the checkout's functions/ is. */
export function writeFixtures(
  functionsDir: string,
  functions: Record<string, FixtureOptions>,
): void {
  writeFiles(functionsDir, { 'package.json': { type: 'module', private: true } });
  writeFiles(
    functionsDir,
    Object.fromEntries(
      Object.entries(functions).map(([name, options]) => [
        `${name}/index.ts`,
        fixtureSource(functionsDir, name, options),
      ]),
    ),
  );
}

/** A build as `npm run build` makes it: `<outDir>/manifest.json` and one bundle per function. */
export interface Build {
  manifest: Manifest;
  distDir: string;
}

export async function build(functionsDir: string, distDir: string): Promise<Build> {
  return { manifest: await buildFunctions({ functionsDir, outDir: distDir }), distDir };
}

/** A copy of a build in another folder, for tests that delete or damage it. */
export function copyBuild(source: Build, distDir: string): Build {
  cpSync(source.distDir, distDir, { recursive: true });
  return { manifest: source.manifest, distDir };
}

export function versionOf(buildResult: Build, name: string): string {
  const fn = buildResult.manifest.functions.find((candidate) => candidate.name === name);
  if (!fn) throw new Error(`${name} is not in the build`);
  return fn.version;
}

/** The testing configuration with its data and logs in the given (temporary) folders. */
export function hostConfig(
  dataDir: string,
  logDir: string,
  overrides: Record<string, string> = {},
): AtolyeConfig {
  return loadConfig({
    env: 'testing',
    overrides: { 'storage.dataDir': dataDir, 'logging.dir': logDir, ...overrides },
  }).config;
}

/** An in-process host on an ephemeral port with its own logging; stop() ends every worker. */
export interface TestHost {
  host: RunningHost;
  config: AtolyeConfig;
  url: string;
  invoke: Invoke;
  stop(): Promise<void>;
}

export async function startTestHost(config: AtolyeConfig): Promise<TestHost> {
  const logging: Logging = createLogging(config, { service: 'host', release: 'test-release' });
  const host = await startHost(config, { port: 0, logging });
  let stopping: Promise<void> | undefined;
  return {
    host,
    config,
    url: host.address.url,
    // No retries: a test counting failures must see every one of them.
    invoke: createInvoker({
      baseUrl: host.address.url,
      secret: config.security.signingSecret,
      retries: 0,
      timeoutMs: 10_000,
    }),
    stop: () =>
      (stopping ??= (async () => {
        await host.close();
        await logging.close();
      })()),
  };
}

export interface AdminReply<T = Record<string, unknown>> {
  status: number;
  contentType: string | null;
  body: T;
}

/** Calls the admin API; `token: null` sends no Authorization header, `rawBody` an unchecked body. */
export async function admin<T = Record<string, unknown>>(
  target: Pick<TestHost, 'url' | 'config'>,
  method: 'GET' | 'POST',
  route: string,
  options: { body?: unknown; rawBody?: string; token?: string | null } = {},
): Promise<AdminReply<T>> {
  const token = options.token === undefined ? target.config.security.adminToken : options.token;
  const body =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${target.url}${route}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `${method} ${route} answered ${response.status} with non-JSON: ${text.slice(0, 300)}`,
    );
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: parsed as T,
  };
}

/** POST /admin/deployments with a build; the reply as it came. */
export function deploy(
  target: Pick<TestHost, 'url' | 'config'>,
  buildResult: Build,
): Promise<AdminReply> {
  return admin(target, 'POST', '/admin/deployments', {
    body: { manifest: buildResult.manifest, distDir: buildResult.distDir },
  });
}

/** Deploys and fails the test unless the host said 200. */
export async function deployOk(
  target: Pick<TestHost, 'url' | 'config'>,
  buildResult: Build,
): Promise<DeployResult> {
  const reply = await deploy(target, buildResult);
  if (reply.status !== 200)
    throw new Error(`deploy answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as unknown as DeployResult;
}

export function changeOf(result: DeployResult, name: string): string | undefined {
  return result.functions.find((fn) => fn.name === name)?.change;
}

export interface Answer {
  label: string;
  pid: number;
  invocations: number;
  version: string;
}

/** One signed call through the invoke client; the function's output plus the version that served it. */
export async function call(
  host: TestHost,
  name: string,
  input: { delayMs?: number } = {},
): Promise<Answer> {
  const result = await host.invoke<Omit<Answer, 'version'>>(name, input);
  return { ...result.output, version: result.meta.version };
}

export async function poolStats(host: TestHost): Promise<PoolStats[]> {
  const reply = await admin<{ functions: PoolStats[] }>(host, 'GET', '/admin/status');
  return reply.body.functions;
}

/** The pid in `<dataDir>/host.json`, if a host left one. */
export function recordedHostPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'host.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, giveUp } from './eventually.js';
import { freePort } from './free-port.js';
import { startProcess, type WatchedProcess } from './processes.js';

/** The monitoring binaries the tests run, and the Debian package that installs each. */
const PACKAGE_OF = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
} as const;

export type MonitoringTool = keyof typeof PACKAGE_OF;

const READY_TIMEOUT_MS = 15_000;

/** The absolute path of `tool` on PATH; throws naming the apt package when it is missing. */
export function toolPath(tool: MonitoringTool): string {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  throw new Error(
    `\`${tool}\` is not on PATH: install it with \`apt-get install ${PACKAGE_OF[tool]}\` ` +
      '(Debian/Ubuntu) to run the monitoring tests',
  );
}

export interface ToolRun {
  status: number | null;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

/** Runs promtool / amtool to completion. */
export function runTool(tool: MonitoringTool, args: string[], cwd?: string): ToolRun {
  const run = spawnSync(toolPath(tool), args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** One alert as GET /api/v1/alerts lists it. */
export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'inactive' | 'pending' | 'firing';
  activeAt?: string;
  value: string;
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** Rule files' contents (YAML or JSON), written beside the config and listed in rule_files. */
  ruleFiles?: Record<string, string>;
  /** Both the scrape and the rule evaluation interval; 1s by default, for tests. */
  interval?: string;
}

/**
 * A real Prometheus server for one test file: config, rules and TSDB in a temporary directory,
 * listening on a free loopback port. stop() ends it and deletes the directory.
 */
export interface TestPrometheus {
  url: string;
  dir: string;
  alerts(): Promise<PrometheusAlert[]>;
  /** An instant query's result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Output the server has written, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const binary = toolPath('prometheus');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atolye-prometheus-'));
  const interval = options.interval ?? '1s';
  const ruleFiles = Object.entries(options.ruleFiles ?? {}).map(([name, content]) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  });
  // JSON is YAML: the generated config needs no YAML writer.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: ruleFiles,
    scrape_configs: options.targets.map(({ job, target }) => ({
      job_name: job,
      static_configs: [{ targets: [target] }],
    })),
  };
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir },
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // SIGTERM: Prometheus shuts down cleanly on it.
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await waitReady(server, url);
  } catch (error) {
    await stop();
    throw error;
  }

  async function api<T>(route: string): Promise<T> {
    const response = await fetch(`${url}${route}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success')
      throw new Error(`Prometheus ${route} answered ${response.status}: ${body.error ?? ''}`);
    return body.data;
  }

  return {
    url,
    dir,
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    query: async (expr) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    log: () => server.output(),
    stop,
  };
}

/** Polls /-/ready until Prometheus has loaded its config and rules. */
async function waitReady(server: WatchedProcess, url: string): Promise<void> {
  await eventually(
    'Prometheus to be ready',
    async () => {
      const end = server.child.exitCode ?? server.child.signalCode;
      if (end !== null) giveUp(`it exited early (${end})`);
      return (await fetch(`${url}/-/ready`)).ok;
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; its output:\n${server.output()}`);
  });
}

import type convict from 'convict';
import { APPROVAL_POLICIES, DEFAULT_RISKY_COMMANDS, DEFAULT_RISKY_PATHS } from './approval.js';
import type { AtolyeConfig } from './types.js';

/** The settings of the run service: its API, its embedded alerts, and the limits of one run. */
export const runSchema: Pick<convict.Schema<AtolyeConfig>, 'api' | 'alerts' | 'agent'> = {
  api: {
    bind: {
      doc: 'Address the orchestrator (run API and dashboard) listens on.',
      format: String,
      default: '127.0.0.1',
      env: 'ATOLYE_API_BIND',
    },
    port: {
      doc: 'Port of the orchestrator (0 = any free port).',
      format: 'port',
      default: 8080,
      env: 'ATOLYE_API_PORT',
    },
    url: {
      doc: 'Where clients (atolye run, runs, files) reach the run API; empty means http://127.0.0.1:<api.port>.',
      format: String,
      default: '',
      env: 'ATOLYE_API_URL',
    },
    key: {
      doc: 'API key the atolye CLI sends to the run API (create one with `atolye keys create`).',
      format: String,
      default: '',
      env: 'ATOLYE_API_KEY',
      sensitive: true,
    },
    rateLimitPerMinute: {
      doc: 'Requests one API key may make per minute; past it the API answers 429 with Retry-After.',
      format: 'nat',
      default: 600,
      env: 'ATOLYE_API_RATE_LIMIT',
    },
    authFailuresPerMinute: {
      doc: 'Requests with a missing or bad API key one client address may make per minute; past it they get 429 with Retry-After and are no longer logged one by one.',
      format: 'nat',
      default: 20,
      env: 'ATOLYE_API_AUTH_FAILURE_LIMIT',
    },
    bodyLimitBytes: {
      doc: 'Largest request body the API accepts; a larger one gets 413.',
      format: 'nat',
      default: 1_048_576,
      env: 'ATOLYE_API_BODY_LIMIT',
    },
    protectMetrics: {
      doc: 'Whether GET /metrics on the orchestrator needs an API key (health checks stay open).',
      format: Boolean,
      default: false,
      env: 'ATOLYE_API_PROTECT_METRICS',
    },
    logTaskChars: {
      doc: 'How many characters of a task the user_interactions channel keeps (0 = none).',
      format: 'nat',
      default: 200,
      env: 'ATOLYE_API_LOG_TASK_CHARS',
    },
    webhookAllowHosts: {
      doc: 'Webhook receivers allowed on loopback, private or this server\'s own addresses, comma-separated host[:port] (e.g. "127.0.0.1:9000,hooks.internal"); a host without a port allows every port but the product\'s own. Any other such receiver is refused.',
      format: (value: unknown) => assertHostList(value),
      default: '',
      env: 'ATOLYE_API_WEBHOOK_ALLOW_HOSTS',
    },
    headersTimeoutMs: {
      doc: 'Longest a client may take to send its request headers; slower ones (slowloris, idle sockets) get 408 and are closed.',
      format: (value: unknown) => assertPositiveMs(value),
      default: 20_000,
      env: 'ATOLYE_API_HEADERS_TIMEOUT_MS',
    },
    requestTimeoutMs: {
      doc: 'Longest a client may take to send a whole request, body included (an import too); it never cuts a reply such as an event stream. At least api.headersTimeoutMs.',
      format: (value: unknown) => assertPositiveMs(value),
      default: 300_000,
      env: 'ATOLYE_API_REQUEST_TIMEOUT_MS',
    },
    keepAliveTimeoutMs: {
      doc: 'How long a kept-alive connection may idle between requests before it is closed.',
      format: (value: unknown) => assertPositiveMs(value),
      default: 5_000,
      env: 'ATOLYE_API_KEEP_ALIVE_TIMEOUT_MS',
    },
  },
  alerts: {
    intervalMs: {
      doc: 'How often the orchestrator evaluates the embedded alert rules (0 = off, e.g. when Prometheus does).',
      format: 'nat',
      default: 15_000,
      env: 'ATOLYE_ALERTS_INTERVAL_MS',
    },
    webhookUrl: {
      doc: 'URL that receives a JSON POST when an embedded alert fires or resolves (empty = none).',
      format: String,
      default: '',
      env: 'ATOLYE_ALERTS_WEBHOOK_URL',
      sensitive: true,
    },
  },
  agent: {
    maxIterations: {
      doc: 'Model turns (act steps) one run may take before it stops with max_iterations.',
      format: 'nat',
      default: 30,
      env: 'ATOLYE_MAX_ITERATIONS',
    },
    maxTokens: {
      doc: 'Input plus output tokens one run may use before it stops with budget_exceeded (0 = no limit).',
      format: 'nat',
      default: 0,
      env: 'ATOLYE_MAX_TOKENS',
    },
    maxCostUsd: {
      doc: 'Model cost in USD one run may reach before it stops with budget_exceeded (0 = no limit).',
      format: Number,
      default: 0,
      env: 'ATOLYE_MAX_COST_USD',
    },
    runTimeoutMs: {
      doc: 'Wall-clock limit of one run; past it the run ends with status timeout (0 = no limit).',
      format: 'nat',
      default: 1_800_000,
      env: 'ATOLYE_RUN_TIMEOUT_MS',
    },
    approval: {
      doc: 'Which tool calls wait for a person before they run: never, risky (those matching agent.riskyCommands / agent.riskyPaths, and deleting a file of the code the user brought) or always. A run may ask for a stricter policy (config.configurable.approval), never a weaker one.',
      format: [...APPROVAL_POLICIES],
      default: 'never',
      env: 'ATOLYE_APPROVAL',
    },
    approvalTimeoutMs: {
      doc: 'How long a run waits for a person to approve held tool calls; past it they are rejected and the run goes on (0 = wait for ever).',
      format: 'nat',
      default: 86_400_000,
      env: 'ATOLYE_APPROVAL_TIMEOUT_MS',
    },
    riskyCommands: {
      doc: 'Regular expressions (case-insensitive) that make a run_command risky under approval "risky": deleting recursively, installing packages, network tools, remote git, what the sandbox refuses anyway. Replaces the default list; set it in a config file.',
      format: (value: unknown) => assertPatterns(value),
      default: [...DEFAULT_RISKY_COMMANDS],
    },
    riskyPaths: {
      doc: 'Regular expressions (case-insensitive) over workspace paths that make writing or deleting a file risky under approval "risky": CI files and secret-looking files. Replaces the default list; set it in a config file.',
      format: (value: unknown) => assertPatterns(value),
      default: [...DEFAULT_RISKY_PATHS],
    },
  },
};

function assertPatterns(value: unknown): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new Error('must be a list of regular expressions (strings)');
  }
  for (const pattern of value as string[]) {
    try {
      new RegExp(pattern, 'i');
    } catch (error) {
      throw new Error(
        `${JSON.stringify(pattern)} is not a regular expression: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

function assertPositiveMs(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number of milliseconds');
  }
}

/** host[:port] entries: a name, an IPv4 address or a bracketed IPv6 address, and a port. */
const HOST_ENTRY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

function assertHostList(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a comma-separated list of host[:port]');
  const bad = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !HOST_ENTRY.test(entry));
  if (bad.length > 0) {
    throw new Error(
      `must be a comma-separated list of host[:port] (IPv6 in brackets); not ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`,
    );
  }
}

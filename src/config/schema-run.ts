import { APPROVAL_POLICIES, DEFAULT_RISKY_COMMANDS, DEFAULT_RISKY_PATHS } from './approval.js';
import { isBoolean, isNatural, isNumber, isPort, isString, oneOf } from './formats.js';
import { setting } from './setting.js';

/** The settings of the run service: its API, its embedded alerts, and the limits of one run. */
export const runSchema = {
  api: {
    bind: setting({
      doc: 'Address the orchestrator (run API and dashboard) listens on.',
      format: isString,
      default: '127.0.0.1',
      env: 'ATOLYE_API_BIND',
    }),
    port: setting({
      doc: 'Port of the orchestrator (0 = any free port).',
      format: isPort,
      default: 8080,
      env: 'ATOLYE_API_PORT',
    }),
    url: setting({
      doc: 'Where clients (atolye run, runs, files) reach the run API; empty means http://127.0.0.1:<api.port>.',
      format: isString,
      default: '',
      env: 'ATOLYE_API_URL',
    }),
    key: setting({
      doc: 'API key the atolye CLI sends to the run API (create one with `atolye keys create`).',
      format: isString,
      default: '',
      env: 'ATOLYE_API_KEY',
      sensitive: true,
    }),
    rateLimitPerMinute: setting({
      doc: 'Requests one API key may make per minute; past it the API answers 429 with Retry-After.',
      format: isNatural,
      default: 600,
      env: 'ATOLYE_API_RATE_LIMIT',
    }),
    authFailuresPerMinute: setting({
      doc: 'Requests with a missing or bad API key one client address may make per minute; past it they get 429 with Retry-After and are no longer logged one by one.',
      format: isNatural,
      default: 20,
      env: 'ATOLYE_API_AUTH_FAILURE_LIMIT',
    }),
    bodyLimitBytes: setting({
      doc: 'Largest request body the API accepts; a larger one gets 413.',
      format: isNatural,
      default: 1_048_576,
      env: 'ATOLYE_API_BODY_LIMIT',
    }),
    protectMetrics: setting({
      doc: 'Whether GET /metrics on the orchestrator needs an API key (health checks stay open).',
      format: isBoolean,
      default: false,
      env: 'ATOLYE_API_PROTECT_METRICS',
    }),
    logTaskChars: setting({
      doc: 'How many characters of a task the user_interactions channel keeps (0 = none).',
      format: isNatural,
      default: 200,
      env: 'ATOLYE_API_LOG_TASK_CHARS',
    }),
    webhookAllowHosts: setting({
      doc: 'Webhook receivers allowed on loopback, private or this server\'s own addresses, comma-separated host[:port] (e.g. "127.0.0.1:9000,hooks.internal"); a host without a port allows every port but the product\'s own. Any other such receiver is refused.',
      format: assertHostList,
      default: '',
      env: 'ATOLYE_API_WEBHOOK_ALLOW_HOSTS',
    }),
    headersTimeoutMs: setting({
      doc: 'Longest a client may take to send its request headers; slower ones (slowloris, idle sockets) get 408 and are closed.',
      format: assertPositiveMs,
      default: 20_000,
      env: 'ATOLYE_API_HEADERS_TIMEOUT_MS',
    }),
    requestTimeoutMs: setting({
      doc: 'Longest a client may take to send a whole request, body included (an import too); it never cuts a reply such as an event stream. At least api.headersTimeoutMs.',
      format: assertPositiveMs,
      default: 300_000,
      env: 'ATOLYE_API_REQUEST_TIMEOUT_MS',
    }),
    keepAliveTimeoutMs: setting({
      doc: 'How long a kept-alive connection may idle between requests before it is closed.',
      format: assertPositiveMs,
      default: 5_000,
      env: 'ATOLYE_API_KEEP_ALIVE_TIMEOUT_MS',
    }),
  },
  alerts: {
    intervalMs: setting({
      doc: 'How often the orchestrator evaluates the embedded alert rules (0 = off, e.g. when Prometheus does).',
      format: isNatural,
      default: 15_000,
      env: 'ATOLYE_ALERTS_INTERVAL_MS',
    }),
    webhookUrl: setting({
      doc: 'URL that receives a JSON POST when an embedded alert fires or resolves (empty = none).',
      format: isString,
      default: '',
      env: 'ATOLYE_ALERTS_WEBHOOK_URL',
      sensitive: true,
    }),
  },
  agent: {
    maxIterations: setting({
      doc: 'Model turns (act steps) one run may take before it stops with max_iterations.',
      format: isNatural,
      default: 30,
      env: 'ATOLYE_MAX_ITERATIONS',
    }),
    maxTokens: setting({
      doc: 'Input plus output tokens one run may use before it stops with budget_exceeded (0 = no limit).',
      format: isNatural,
      default: 0,
      env: 'ATOLYE_MAX_TOKENS',
    }),
    maxCostUsd: setting({
      doc: 'Model cost in USD one run may reach before it stops with budget_exceeded (0 = no limit).',
      format: isNumber,
      default: 0,
      env: 'ATOLYE_MAX_COST_USD',
    }),
    runTimeoutMs: setting({
      doc: 'Wall-clock limit of one run; past it the run ends with status timeout (0 = no limit).',
      format: isNatural,
      default: 1_800_000,
      env: 'ATOLYE_RUN_TIMEOUT_MS',
    }),
    approval: setting({
      doc: 'Which tool calls wait for a person before they run: never, risky (those matching agent.riskyCommands / agent.riskyPaths, and deleting a file of the code the user brought) or always. A run may ask for a stricter policy (config.configurable.approval), never a weaker one.',
      format: oneOf(APPROVAL_POLICIES),
      default: 'never',
      env: 'ATOLYE_APPROVAL',
    }),
    approvalTimeoutMs: setting({
      doc: 'How long a run waits for a person to approve held tool calls; past it they are rejected and the run goes on (0 = wait for ever).',
      format: isNatural,
      default: 86_400_000,
      env: 'ATOLYE_APPROVAL_TIMEOUT_MS',
    }),
    riskyCommands: setting({
      doc: 'Regular expressions (case-insensitive) that make a run_command risky under approval "risky": deleting recursively, installing packages, network tools, remote git, what the sandbox refuses anyway. Replaces the default list; set it in a config file.',
      format: assertPatterns,
      default: [...DEFAULT_RISKY_COMMANDS],
    }),
    riskyPaths: setting({
      doc: 'Regular expressions (case-insensitive) over workspace paths that make writing or deleting a file risky under approval "risky": CI files and secret-looking files. Replaces the default list; set it in a config file.',
      format: assertPatterns,
      default: [...DEFAULT_RISKY_PATHS],
    }),
  },
};

function assertPatterns(value: unknown): asserts value is string[] {
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

function assertPositiveMs(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number of milliseconds');
  }
}

/** host[:port] entries: a name, an IPv4 address or a bracketed IPv6 address, and a port. */
const HOST_ENTRY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

function assertHostList(value: unknown): asserts value is string {
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

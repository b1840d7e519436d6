import { runSchema } from './schema-run.js';
import { workspaceSchema } from './schema-workspace.js';
import { ENVIRONMENTS, LOG_LEVELS, type ModelPrice, type PriceTable } from './values.js';
import {
  assertHostUrls,
  assertPositiveInt,
  atLeast,
  isBoolean,
  isPort,
  isString,
  oneOf,
} from './formats.js';
import { setting, type ConfigOf } from './setting.js';

// The fixed choices and value shapes, where the rest of the code looks for them.
export * from './values.js';

/**
 * The single schema of every setting, and the source of the configuration's type. `env` names
 * the environment variable that overrides a key; `sensitive` keys are masked in every printout
 * and redacted from every log line.
 */
export const schema = {
  env: setting({
    doc: 'Environment whose config/<env>.json is layered over config/base.json.',
    format: oneOf(ENVIRONMENTS),
    default: 'development',
    env: 'ATOLYE_ENV',
  }),
  service: setting({
    doc: 'Name of this process in logs, metrics and Sentry (host, orchestrator, cli, or a function).',
    format: isString,
    default: 'atolye',
    env: 'ATOLYE_SERVICE',
  }),
  release: setting({
    doc: 'Release reported to logs and Sentry; empty means package version plus git sha.',
    format: isString,
    default: '',
    env: 'ATOLYE_RELEASE',
  }),
  logging: {
    dir: setting({
      doc: 'Directory of the four log channels (relative paths are relative to the project root).',
      format: isString,
      default: 'logs',
      env: 'ATOLYE_LOG_DIR',
    }),
    level: setting({
      doc: 'Lowest level written to the channel files.',
      format: oneOf(LOG_LEVELS),
      default: 'info',
      env: 'ATOLYE_LOG_LEVEL',
    }),
    console: setting({
      doc: 'Also print human-readable lines to the console.',
      format: isBoolean,
      default: false,
      env: 'ATOLYE_LOG_CONSOLE',
    }),
    maxSize: setting({
      doc: 'Rotate a channel file when it reaches this size (winston-daily-rotate-file form: 20m, 500k).',
      format: assertLogSize,
      default: '20m',
      env: 'ATOLYE_LOG_MAX_SIZE',
    }),
    maxFiles: setting({
      doc: 'Retention: a number of files ("10") or of days ("14d").',
      format: assertLogRetention,
      default: '14d',
      env: 'ATOLYE_LOG_MAX_FILES',
    }),
    datePattern: setting({
      doc: 'moment.js date pattern of the daily rotation.',
      format: isString,
      default: 'YYYY-MM-DD',
    }),
    zippedArchive: setting({
      doc: 'gzip rotated files.',
      format: isBoolean,
      default: true,
    }),
  },
  sentry: {
    dsn: setting({
      doc: 'Sentry DSN; empty turns error reporting off.',
      format: isString,
      default: '',
      env: 'SENTRY_DSN',
      sensitive: true,
    }),
    environment: setting({
      doc: 'Sentry environment; empty means the value of `env`.',
      format: isString,
      default: '',
      env: 'SENTRY_ENVIRONMENT',
    }),
    sampleRate: setting({
      doc: 'Share of error events sent (0..1).',
      format: assertRate,
      default: 1,
      env: 'SENTRY_SAMPLE_RATE',
    }),
    tracesSampleRate: setting({
      doc: 'Share of transactions traced (0..1).',
      format: assertRate,
      default: 0,
      env: 'SENTRY_TRACES_SAMPLE_RATE',
    }),
    spotlight: setting({
      doc: 'Spotlight sidecar URL for local triage ("" = off), e.g. http://localhost:8969/stream.',
      format: isString,
      default: '',
      env: 'SENTRY_SPOTLIGHT',
    }),
  },
  security: {
    signingSecret: setting({
      doc: 'HMAC secret signing every orchestrator → function call.',
      format: isString,
      default: '',
      env: 'ATOLYE_SIGNING_SECRET',
      sensitive: true,
    }),
    adminToken: setting({
      doc: 'Bearer token of the deploy/admin API.',
      format: isString,
      default: '',
      env: 'ATOLYE_ADMIN_TOKEN',
      sensitive: true,
    }),
  },
  host: {
    bind: setting({
      doc: 'Address the worker host gateway listens on.',
      format: isString,
      default: '127.0.0.1',
      env: 'ATOLYE_HOST_BIND',
    }),
    port: setting({
      doc: 'Port of the worker host gateway (0 = any free port).',
      format: isPort,
      default: 8787,
      env: 'ATOLYE_HOST_PORT',
    }),
    url: setting({
      doc: 'Where the orchestrator reaches the worker hosts: one base URL, or several separated by commas (calls are spread over those that answer /readyz); empty means http://<host.bind>:<host.port>.',
      format: assertHostUrls,
      default: '',
      env: 'ATOLYE_HOST_URL',
    }),
  },
  orchestrator: {
    leaseMs: setting({
      doc: 'How long a run stays with the orchestrator executing it without a heartbeat: once it lapses (that process was killed, its machine lost), another orchestrator on the same storage takes the run over from its last checkpoint.',
      format: atLeast(1000),
      default: 15_000,
      env: 'ATOLYE_LEASE_MS',
    }),
    pollMs: setting({
      doc: 'How often an orchestrator looks in the store for runs to take (queued, or left by another orchestrator) and for events another orchestrator wrote to a stream it serves.',
      format: atLeast(10),
      default: 1_000,
      env: 'ATOLYE_POLL_MS',
    }),
  },
  ...runSchema,
  storage: {
    dataDir: setting({
      doc: 'Directory of the SQLite store and host state (relative to the project root).',
      format: isString,
      default: 'data',
      env: 'ATOLYE_DATA_DIR',
    }),
    url: setting({
      doc: 'Where the orchestrator keeps threads, runs and their events, API keys, crons, rate-limit counts and LangGraph checkpoints: "" (default) for SQLite files in storage.dataDir (one orchestrator), or a Postgres URL that any number of orchestrators share such as postgres://user:password@host:5432/database (postgresql:// also accepted; query parameters such as sslmode=require or host=/path/to/socket pass through to pg).',
      format: assertStorageUrl,
      default: '',
      env: 'ATOLYE_STORAGE_URL',
      // A Postgres URL usually carries the password.
      sensitive: true,
    }),
    poolSize: setting({
      doc: "Postgres connections one process keeps at most for its stores, and as many again for its checkpoints: size the database's max_connections for 2 × poolSize per orchestrator (and poolSize per worker host sharing idempotency replies).",
      format: atLeast(1),
      default: 10,
      env: 'ATOLYE_STORAGE_POOL_SIZE',
    }),
  },
  ...workspaceSchema,
  model: {
    name: setting({
      doc: 'Chat model asked for by every model-calling step.',
      format: assertNonEmptyString,
      default: 'gpt-4o-mini',
      env: 'ATOLYE_MODEL',
    }),
    baseUrl: setting({
      doc: 'Base URL of an OpenAI-compatible server, ending in /v1 ("" = OpenAI itself).',
      format: isString,
      default: '',
      env: 'OPENAI_BASE_URL',
    }),
    apiKey: setting({
      // Not a required production secret: only model-calling functions need it, `tools` never does.
      doc: 'API key of the model server; required by model-calling steps only.',
      format: isString,
      default: '',
      env: 'OPENAI_API_KEY',
      sensitive: true,
    }),
    timeoutMs: setting({
      doc: 'Longest wait for one model reply in milliseconds.',
      format: assertPositiveInt,
      default: 120_000,
      env: 'ATOLYE_MODEL_TIMEOUT_MS',
    }),
    maxTokens: setting({
      doc: 'Most tokens one model reply may hold.',
      format: assertPositiveInt,
      default: 4096,
    }),
    // Both context settings live here rather than under `agent`: the model-calling functions
    // condense, and they declare exactly the `model` section in their settings.
    contextTokens: setting({
      doc: "Tokens the model's context window holds (its input and reply together); the history is condensed before it fills it.",
      format: assertPositiveInt,
      default: 128_000,
      env: 'ATOLYE_MODEL_CONTEXT_TOKENS',
    }),
    condenseAt: setting({
      doc: 'Share of model.contextTokens at which an act step first has the model summarize the older turns of the thread (measured by the input tokens the model reported for the latest act call); above 0 and below 1.',
      format: assertShare,
      default: 0.7,
      env: 'ATOLYE_MODEL_CONDENSE_AT',
    }),
    temperature: setting({
      doc: 'Sampling temperature (0..2); 0 keeps runs repeatable.',
      format: assertTemperature,
      default: 0,
    }),
    prices: setting({
      doc: 'Price table: a list of { model, inputPerMTok, outputPerMTok }, in USD per million tokens; a model not listed costs 0 and is reported unpriced.',
      format: assertPriceTable,
      default: [
        { model: 'gpt-4o-mini', inputPerMTok: 0.15, outputPerMTok: 0.6 },
        { model: 'gpt-4o', inputPerMTok: 2.5, outputPerMTok: 10 },
        { model: 'gpt-4.1', inputPerMTok: 2, outputPerMTok: 8 },
        { model: 'gpt-4.1-mini', inputPerMTok: 0.4, outputPerMTok: 1.6 },
        { model: 'gpt-4.1-nano', inputPerMTok: 0.1, outputPerMTok: 0.4 },
        { model: 'mock', inputPerMTok: 0, outputPerMTok: 0 },
      ],
    }),
  },
};

/** The effective configuration, as the rest of the code sees it: derived from the schema. */
export type AtolyeConfig = ConfigOf<typeof schema>;

/** Secrets that production refuses to start without (or with a development value). */
export const REQUIRED_PRODUCTION_SECRETS = [
  'security.signingSecret',
  'security.adminToken',
] as const;

function assertLogSize(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !/^\d+[kmg]?$/i.test(value)) {
    throw new Error('must be a size such as "20m", "500k" or "1g"');
  }
}

function assertLogRetention(value: unknown): asserts value is string {
  if (typeof value !== 'string' || !/^\d+d?$/.test(value)) {
    throw new Error('must be a number of files such as "10" or of days such as "14d"');
  }
}

function assertRate(value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 1) {
    throw new Error('must be a number from 0 to 1');
  }
}

/** Above 0 and below 1. */
function assertShare(value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0 || value >= 1) {
    throw new Error('must be a number above 0 and below 1, such as 0.7');
  }
}

function assertTemperature(value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 2) {
    throw new Error('must be a number from 0 to 2');
  }
}

function assertNonEmptyString(value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error('must be a non-empty string');
}

/** Never echoes the value: it may hold a password. */
function assertStorageUrl(value: unknown): asserts value is string {
  if (value === '') return;
  const expected =
    'must be empty (SQLite files in storage.dataDir) or a Postgres URL such as postgres://user:password@host:5432/database (or postgresql://…)';
  if (typeof value !== 'string' || !/^postgres(ql)?:\/\//i.test(value)) {
    throw new Error(expected);
  }
  if (!URL.canParse(value) && !URL.canParse(value.replace('@/', '@localhost/'))) {
    throw new Error(
      `${expected}; this one does not parse as a URL (check the port, and percent-encode special characters in the user name and password)`,
    );
  }
}

function assertPriceTable(value: unknown): asserts value is PriceTable {
  if (!Array.isArray(value)) {
    throw new Error('must be a list of { model, inputPerMTok, outputPerMTok }');
  }
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const price = entry as Partial<Record<keyof ModelPrice, unknown>> | null;
    const valid =
      price !== null &&
      typeof price === 'object' &&
      Object.keys(price).length === 3 &&
      typeof price.model === 'string' &&
      price.model !== '' &&
      isPrice(price.inputPerMTok) &&
      isPrice(price.outputPerMTok);
    if (!valid) {
      throw new Error(
        `entry ${index} must be { model, inputPerMTok, outputPerMTok }: a model name and two numbers ≥ 0 (USD per million tokens)`,
      );
    }
    if (seen.has(price.model as string)) {
      throw new Error(`entry ${index} prices "${String(price.model)}" a second time`);
    }
    seen.add(price.model as string);
  });
}

function isPrice(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

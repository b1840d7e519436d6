import type convict from 'convict';
import { runSchema } from './schema-run.js';
import { workspaceSchema } from './schema-workspace.js';
import type { AtolyeConfig, ModelPrice } from './types.js';
import { ENVIRONMENTS, LOG_LEVELS } from './types.js';
import { assertAtLeast, assertHostUrls, assertPositiveInt } from './formats.js';

// The types live in types.ts; they are re-exported here, where the rest of the code looks.
export * from './types.js';

/**
 * The single schema of every setting. `env` names the environment variable that overrides a key;
 * `sensitive` keys are masked in every printout and redacted from every log line.
 */
export const schema: convict.Schema<AtolyeConfig> = {
  env: {
    doc: 'Environment whose config/<env>.json is layered over config/base.json.',
    format: ENVIRONMENTS as unknown as string[],
    default: 'development',
    env: 'ATOLYE_ENV',
  },
  service: {
    doc: 'Name of this process in logs, metrics and Sentry (host, orchestrator, cli, or a function).',
    format: String,
    default: 'atolye',
    env: 'ATOLYE_SERVICE',
  },
  release: {
    doc: 'Release reported to logs and Sentry; empty means package version plus git sha.',
    format: String,
    default: '',
    env: 'ATOLYE_RELEASE',
  },
  logging: {
    dir: {
      doc: 'Directory of the four log channels (relative paths are relative to the project root).',
      format: String,
      default: 'logs',
      env: 'ATOLYE_LOG_DIR',
    },
    level: {
      doc: 'Lowest level written to the channel files.',
      format: LOG_LEVELS as unknown as string[],
      default: 'info',
      env: 'ATOLYE_LOG_LEVEL',
    },
    console: {
      doc: 'Also print human-readable lines to the console.',
      format: Boolean,
      default: false,
      env: 'ATOLYE_LOG_CONSOLE',
    },
    maxSize: {
      doc: 'Rotate a channel file when it reaches this size (winston-daily-rotate-file form: 20m, 500k).',
      format: (value: unknown) => {
        if (typeof value !== 'string' || !/^\d+[kmg]?$/i.test(value)) {
          throw new Error('must be a size such as "20m", "500k" or "1g"');
        }
      },
      default: '20m',
      env: 'ATOLYE_LOG_MAX_SIZE',
    },
    maxFiles: {
      doc: 'Retention: a number of files ("10") or of days ("14d").',
      format: (value: unknown) => {
        if (typeof value !== 'string' || !/^\d+d?$/.test(value)) {
          throw new Error('must be a number of files such as "10" or of days such as "14d"');
        }
      },
      default: '14d',
      env: 'ATOLYE_LOG_MAX_FILES',
    },
    datePattern: {
      doc: 'moment.js date pattern of the daily rotation.',
      format: String,
      default: 'YYYY-MM-DD',
    },
    zippedArchive: {
      doc: 'gzip rotated files.',
      format: Boolean,
      default: true,
    },
  },
  sentry: {
    dsn: {
      doc: 'Sentry DSN; empty turns error reporting off.',
      format: String,
      default: '',
      env: 'SENTRY_DSN',
      sensitive: true,
    },
    environment: {
      doc: 'Sentry environment; empty means the value of `env`.',
      format: String,
      default: '',
      env: 'SENTRY_ENVIRONMENT',
    },
    sampleRate: {
      doc: 'Share of error events sent (0..1).',
      format: (value: unknown) => assertRate(value),
      default: 1,
      env: 'SENTRY_SAMPLE_RATE',
    },
    tracesSampleRate: {
      doc: 'Share of transactions traced (0..1).',
      format: (value: unknown) => assertRate(value),
      default: 0,
      env: 'SENTRY_TRACES_SAMPLE_RATE',
    },
    spotlight: {
      doc: 'Spotlight sidecar URL for local triage ("" = off), e.g. http://localhost:8969/stream.',
      format: String,
      default: '',
      env: 'SENTRY_SPOTLIGHT',
    },
  },
  security: {
    signingSecret: {
      doc: 'HMAC secret signing every orchestrator → function call.',
      format: String,
      default: '',
      env: 'ATOLYE_SIGNING_SECRET',
      sensitive: true,
    },
    adminToken: {
      doc: 'Bearer token of the deploy/admin API.',
      format: String,
      default: '',
      env: 'ATOLYE_ADMIN_TOKEN',
      sensitive: true,
    },
  },
  host: {
    bind: {
      doc: 'Address the worker host gateway listens on.',
      format: String,
      default: '127.0.0.1',
      env: 'ATOLYE_HOST_BIND',
    },
    port: {
      doc: 'Port of the worker host gateway (0 = any free port).',
      format: 'port',
      default: 8787,
      env: 'ATOLYE_HOST_PORT',
    },
    url: {
      doc: 'Where the orchestrator reaches the worker hosts: one base URL, or several separated by commas (calls are spread over those that answer /readyz); empty means http://<host.bind>:<host.port>.',
      format: (value: unknown) => assertHostUrls(value),
      default: '',
      env: 'ATOLYE_HOST_URL',
    },
  },
  orchestrator: {
    leaseMs: {
      doc: 'How long a run stays with the orchestrator executing it without a heartbeat: once it lapses (that process was killed, its machine lost), another orchestrator on the same storage takes the run over from its last checkpoint.',
      format: (value: unknown) => assertAtLeast(value, 1000),
      default: 15_000,
      env: 'ATOLYE_LEASE_MS',
    },
    pollMs: {
      doc: 'How often an orchestrator looks in the store for runs to take (queued, or left by another orchestrator) and for events another orchestrator wrote to a stream it serves.',
      format: (value: unknown) => assertAtLeast(value, 10),
      default: 1_000,
      env: 'ATOLYE_POLL_MS',
    },
  },
  ...runSchema,
  storage: {
    dataDir: {
      doc: 'Directory of the SQLite store and host state (relative to the project root).',
      format: String,
      default: 'data',
      env: 'ATOLYE_DATA_DIR',
    },
    url: {
      doc: 'Where the orchestrator keeps threads, runs and their events, API keys, crons, rate-limit counts and LangGraph checkpoints: "" (default) for SQLite files in storage.dataDir (one orchestrator), or a Postgres URL that any number of orchestrators share such as postgres://user:password@host:5432/database (postgresql:// also accepted; query parameters such as sslmode=require or host=/path/to/socket pass through to pg).',
      format: (value: unknown) => assertStorageUrl(value),
      default: '',
      env: 'ATOLYE_STORAGE_URL',
      // A Postgres URL usually carries the password.
      sensitive: true,
    },
  },
  ...workspaceSchema,
  model: {
    name: {
      doc: 'Chat model asked for by every model-calling step.',
      format: (value: unknown) => assertNonEmptyString(value),
      default: 'gpt-4o-mini',
      env: 'ATOLYE_MODEL',
    },
    baseUrl: {
      doc: 'Base URL of an OpenAI-compatible server, ending in /v1 ("" = OpenAI itself).',
      format: String,
      default: '',
      env: 'OPENAI_BASE_URL',
    },
    apiKey: {
      // Not a required production secret: only model-calling functions need it, `tools` never does.
      doc: 'API key of the model server; required by model-calling steps only.',
      format: String,
      default: '',
      env: 'OPENAI_API_KEY',
      sensitive: true,
    },
    timeoutMs: {
      doc: 'Longest wait for one model reply in milliseconds.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 120_000,
      env: 'ATOLYE_MODEL_TIMEOUT_MS',
    },
    maxTokens: {
      doc: 'Most tokens one model reply may hold.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 4096,
    },
    // Both context settings live here rather than under `agent`: the model-calling functions
    // condense, and they declare exactly the `model` section in their settings.
    contextTokens: {
      doc: "Tokens the model's context window holds (its input and reply together); the history is condensed before it fills it.",
      format: (value: unknown) => assertPositiveInt(value),
      default: 128_000,
      env: 'ATOLYE_MODEL_CONTEXT_TOKENS',
    },
    condenseAt: {
      doc: 'Share of model.contextTokens at which an act step first has the model summarize the older turns of the thread (measured by the input tokens the model reported for the latest act call); above 0 and below 1.',
      format: (value: unknown) => {
        if (typeof value !== 'number' || Number.isNaN(value) || value <= 0 || value >= 1) {
          throw new Error('must be a number above 0 and below 1, such as 0.7');
        }
      },
      default: 0.7,
      env: 'ATOLYE_MODEL_CONDENSE_AT',
    },
    temperature: {
      doc: 'Sampling temperature (0..2); 0 keeps runs repeatable.',
      format: (value: unknown) => {
        if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 2) {
          throw new Error('must be a number from 0 to 2');
        }
      },
      default: 0,
    },
    prices: {
      doc: 'Price table: a list of { model, inputPerMTok, outputPerMTok }, in USD per million tokens; a model not listed costs 0 and is reported unpriced.',
      format: (value: unknown) => assertPriceTable(value),
      default: [
        { model: 'gpt-4o-mini', inputPerMTok: 0.15, outputPerMTok: 0.6 },
        { model: 'gpt-4o', inputPerMTok: 2.5, outputPerMTok: 10 },
        { model: 'gpt-4.1', inputPerMTok: 2, outputPerMTok: 8 },
        { model: 'gpt-4.1-mini', inputPerMTok: 0.4, outputPerMTok: 1.6 },
        { model: 'gpt-4.1-nano', inputPerMTok: 0.1, outputPerMTok: 0.4 },
        { model: 'mock', inputPerMTok: 0, outputPerMTok: 0 },
      ],
    },
  },
};

/** Secrets that production refuses to start without (or with a development value). */
export const REQUIRED_PRODUCTION_SECRETS = [
  'security.signingSecret',
  'security.adminToken',
] as const;

function assertRate(value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 1) {
    throw new Error('must be a number from 0 to 1');
  }
}

function assertNonEmptyString(value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error('must be a non-empty string');
}

/** Never echoes the value: it may hold a password. */
function assertStorageUrl(value: unknown): void {
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

function assertPriceTable(value: unknown): void {
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

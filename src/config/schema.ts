import type convict from 'convict';

export const ENVIRONMENTS = ['development', 'production', 'testing'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export const SANDBOX_MODES = ['bwrap', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** The effective configuration, as the rest of the code sees it. */
export interface AtolyeConfig {
  env: Environment;
  service: string;
  release: string;
  logging: {
    dir: string;
    level: (typeof LOG_LEVELS)[number];
    console: boolean;
    maxSize: string;
    maxFiles: string;
    datePattern: string;
    zippedArchive: boolean;
  };
  sentry: {
    dsn: string;
    environment: string;
    sampleRate: number;
    tracesSampleRate: number;
    spotlight: string;
  };
  security: {
    signingSecret: string;
    adminToken: string;
  };
  host: {
    bind: string;
    port: number;
  };
  api: {
    bind: string;
    port: number;
    url: string;
    key: string;
    rateLimitPerMinute: number;
    bodyLimitBytes: number;
    protectMetrics: boolean;
    logTaskChars: number;
  };
  alerts: {
    intervalMs: number;
    webhookUrl: string;
  };
  agent: {
    maxIterations: number;
    maxTokens: number;
    maxCostUsd: number;
    runTimeoutMs: number;
  };
  storage: {
    dataDir: string;
    url: string;
  };
  sandbox: {
    mode: SandboxMode;
    timeoutMs: number;
    cpuSeconds: number;
    memoryMb: number;
    fileSizeMb: number;
    processes: number;
    outputCapBytes: number;
  };
  workspace: {
    root: string;
  };
  model: {
    name: string;
    baseUrl: string;
    apiKey: string;
    timeoutMs: number;
    maxTokens: number;
    temperature: number;
    prices: PriceTable;
  };
}

/** The price of one model, in USD per million tokens. */
export interface ModelPrice {
  model: string;
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * A list rather than a name → price object: convict splits keys at dots, so an object could not
 * hold names such as "gpt-4.1".
 */
export type PriceTable = ModelPrice[];

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
  },
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
  },
  storage: {
    dataDir: {
      doc: 'Directory of the SQLite store and host state (relative to the project root).',
      format: String,
      default: 'data',
      env: 'ATOLYE_DATA_DIR',
    },
    url: {
      doc: 'Where LangGraph checkpoints are kept: "" (default) for SQLite files in storage.dataDir, or a Postgres URL such as postgres://user:password@host:5432/database (postgresql:// also accepted; query parameters such as sslmode=require or host=/path/to/socket pass through to pg).',
      format: (value: unknown) => assertStorageUrl(value),
      default: '',
      env: 'ATOLYE_STORAGE_URL',
      // A Postgres URL usually carries the password.
      sensitive: true,
    },
  },
  sandbox: {
    mode: {
      doc: 'How run_command is isolated: "bwrap" (bubblewrap) or "none" (no isolation; development and testing only).',
      format: SANDBOX_MODES as unknown as string[],
      default: 'bwrap',
      env: 'ATOLYE_SANDBOX_MODE',
    },
    timeoutMs: {
      doc: 'Wall-clock limit of one sandboxed command in milliseconds; the whole sandbox is killed after it.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 60_000,
    },
    cpuSeconds: {
      doc: 'CPU seconds one sandboxed command may use (RLIMIT_CPU).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 60,
    },
    memoryMb: {
      doc: 'Address space of each sandboxed process in MiB (RLIMIT_AS).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 1024,
    },
    fileSizeMb: {
      doc: 'Largest file a sandboxed command may write, in MiB (RLIMIT_FSIZE).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 64,
    },
    processes: {
      doc: 'Processes and threads a sandboxed command may have at once (RLIMIT_NPROC in its own user namespace).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 64,
    },
    outputCapBytes: {
      doc: 'Bytes kept of each of stdout and stderr (head and tail; the middle is omitted).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 65_536,
    },
  },
  workspace: {
    root: {
      doc: 'Directory holding one workspace per thread (relative to the project root).',
      format: String,
      default: 'data/workspaces',
      env: 'ATOLYE_WORKSPACE_ROOT',
    },
  },
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

function assertPositiveInt(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number');
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

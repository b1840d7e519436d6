import type { ApprovalPolicy } from './approval.js';

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
    url: string;
  };
  api: {
    bind: string;
    port: number;
    url: string;
    key: string;
    rateLimitPerMinute: number;
    authFailuresPerMinute: number;
    bodyLimitBytes: number;
    protectMetrics: boolean;
    logTaskChars: number;
    /** Comma-separated host[:port]: webhook receivers allowed on private addresses. */
    webhookAllowHosts: string;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
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
    approval: ApprovalPolicy;
    approvalTimeoutMs: number;
    riskyCommands: string[];
    riskyPaths: string[];
  };
  orchestrator: {
    leaseMs: number;
    pollMs: number;
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
    importMaxArchiveBytes: number;
    importMaxFiles: number;
    importMaxBytes: number;
    importMaxRatio: number;
  };
  git: {
    token: string;
    /** Comma-separated: https, http, file. */
    allowedSchemes: string;
    /** Comma-separated host[:port] reachable on private addresses. */
    allowHosts: string;
    /** Comma-separated host names the token is sent to. */
    tokenHosts: string;
    timeoutMs: number;
  };
  model: {
    name: string;
    baseUrl: string;
    apiKey: string;
    timeoutMs: number;
    maxTokens: number;
    contextTokens: number;
    condenseAt: number;
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

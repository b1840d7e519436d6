import type { InvocationMeta } from './contract.js';

/**
 * Messages between the host and a worker process over the fork IPC channel. The host owns
 * deadlines and kills a worker that overruns; the worker only reports.
 */
export interface WireError {
  code: string;
  message: string;
  retryable: boolean;
}

export type HostMessage =
  | { t: 'invoke'; id: string; input: unknown; meta: InvocationMeta; timeoutMs: number }
  | { t: 'ping'; id: string }
  | { t: 'shutdown' };

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface ForwardedLog {
  level: LogLevel;
  msg: string;
  fields?: Record<string, unknown>;
  /** The invocation the record belongs to, when it was logged inside one. */
  invocationId?: string;
}

export type WorkerMessage =
  | { t: 'ready'; initMs: number; pid: number }
  | { t: 'result'; id: string; ok: true; output: unknown; durationMs: number }
  | { t: 'result'; id: string; ok: false; status: number; error: WireError; durationMs: number }
  | { t: 'pong'; id: string; rssBytes: number }
  | { t: 'log'; record: ForwardedLog }
  /** A result and the records logged for it, in one write: each IPC write costs a syscall. */
  | { t: 'batch'; messages: WorkerMessage[] };

/** Environment variable that tells a bundle it was started by the host as an IPC worker. */
export const WORKER_ENV = 'ATOLYE_WORKER';

/**
 * Environment variable holding, as JSON, the settings the worker's function declares: the host
 * resolves the configuration and passes exactly those values (src/config/settings.ts).
 */
export const SETTINGS_ENV = 'ATOLYE_SETTINGS';

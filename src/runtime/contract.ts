import * as z from 'zod';
import type { ChannelLogger } from '../logging/record.js';
import type { SettingPath, Settings } from '../config/setting-paths.js';
import { AtolyeError } from '../errors.js';

export type { SettingPath, Settings } from '../config/setting-paths.js';

/** A function's resources: the single source for bundling, the host's pools and every deploy target. */
export const Limits = z
  .object({
    timeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
    memoryMb: z.number().int().min(32).max(16_384).default(256),
    concurrency: z.number().int().min(1).max(1_000).default(1),
    minWorkers: z.number().int().min(0).max(64).default(0),
    maxWorkers: z.number().int().min(1).max(64).default(2),
    idleMs: z.number().int().min(100).default(60_000),
    retries: z.number().int().min(0).max(10).default(0),
    queueSize: z.number().int().min(0).max(100_000).default(64),
  })
  .strict()
  .refine((limits) => limits.minWorkers <= limits.maxWorkers, {
    message: 'minWorkers must not exceed maxWorkers',
    path: ['minWorkers'],
  });
export type Limits = z.infer<typeof Limits>;

export const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** A dotted configuration path; the build checks it against the schema (src/config/schema.ts). */
const SETTING_PATH = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*$/;

/**
 * How a handler logs: the one logger type of the code base (a channel's logger); the worker
 * forwards each record to the host, the only writer of log files.
 */
export type HandlerLog = ChannelLogger;

/** What a handler knows about the call it serves. */
export interface InvocationMeta {
  invocationId: string;
  requestId?: string;
  threadId?: string;
  runId?: string;
  step?: string;
  attempt: number;
}

/**
 * What a caller may say about a call: the invoke client (invoke.ts) and the host's pool each fill
 * in `invocationId` (a new one) and `attempt` (1) when absent.
 */
export type CallMeta = Partial<InvocationMeta>;

interface CallContext extends InvocationMeta {
  /** Aborts when the deadline passes; long work should listen to it. */
  signal: AbortSignal;
  log: HandlerLog;
}

/**
 * What a handler gets besides its input. `settings` holds the configuration the function declared
 * in `settings`, resolved by the host; a function that declares none need not be given any.
 */
export type HandlerContext<S = Settings<never>> = CallContext &
  ([keyof S] extends [never] ? { settings?: S } : { settings: S });

export interface FunctionSpec<I extends z.ZodType, O extends z.ZodType, P extends SettingPath> {
  name: string;
  description?: string;
  input: I;
  output: O;
  limits?: z.input<typeof Limits>;
  /** Names of the environment variables this function may receive; it sees no others. */
  secrets?: string[];
  /**
   * Configuration sections or keys (`'sandbox'`, `'workspace.root'`) the handler reads from
   * `ctx.settings`. The host resolves them; the worker never loads the configuration itself.
   * Secret keys are not settings: declare their variables in `secrets`.
   */
  settings?: readonly P[];
  /**
   * Runs once per worker, before it takes calls (Modal's `@enter`, Lambda's init), with the
   * resolved settings and the forwarding logger: the place for a sandbox or a client. A throw
   * stops the worker's start, so a deploy fails its health check.
   */
  init?(settings: Settings<P>, log: HandlerLog): Promise<void> | void;
  handle(input: z.infer<I>, ctx: HandlerContext<Settings<P>>): Promise<z.input<O>> | z.input<O>;
}

export interface FunctionDefinition<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  S = unknown,
> {
  readonly kind: 'atolye.function';
  readonly name: string;
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly limits: Limits;
  readonly secrets: readonly string[];
  readonly settings: readonly string[];
  init?(settings: S, log: HandlerLog): Promise<void> | void;
  handle(input: z.infer<I>, ctx: HandlerContext<S>): Promise<z.input<O>> | z.input<O>;
}

/**
 * Declares a serverless function. Throws a `FUNCTION_INVALID` error naming the function and each
 * problem, so a bad declaration fails the build rather than a deploy.
 */
export function defineFunction<
  I extends z.ZodType,
  O extends z.ZodType,
  const P extends SettingPath = never,
>(spec: FunctionSpec<I, O, P>): FunctionDefinition<I, O, Settings<P>> {
  const label = typeof spec.name === 'string' ? spec.name : '(unnamed)';
  const problems: string[] = [];
  if (typeof spec.name !== 'string' || !FUNCTION_NAME.test(spec.name)) {
    problems.push(`name must match ${FUNCTION_NAME} (lower-case letters, digits, dashes)`);
  }
  if (!(spec.input instanceof z.ZodType)) problems.push('input must be a zod schema');
  if (!(spec.output instanceof z.ZodType)) problems.push('output must be a zod schema');
  if (typeof spec.handle !== 'function') problems.push('handle must be a function');
  if (spec.init !== undefined && typeof spec.init !== 'function') {
    problems.push('init must be a function when given');
  }
  const limits = Limits.safeParse(spec.limits ?? {});
  if (!limits.success) {
    for (const issue of limits.error.issues) {
      problems.push(`limits.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
  }
  for (const secret of spec.secrets ?? []) {
    if (!SECRET_NAME.test(secret))
      problems.push(`secret "${secret}" is not an environment variable name`);
  }
  const settings: readonly unknown[] = Array.isArray(spec.settings) ? spec.settings : [];
  if (spec.settings !== undefined && !Array.isArray(spec.settings)) {
    problems.push('settings must be a list of configuration paths such as "workspace.root"');
  }
  for (const setting of settings) {
    if (typeof setting !== 'string' || !SETTING_PATH.test(setting)) {
      problems.push(
        `setting ${JSON.stringify(setting)} is not a configuration path such as "workspace.root"`,
      );
    }
  }
  if (problems.length > 0 || !limits.success) {
    throw new AtolyeError(
      'FUNCTION_INVALID',
      `function ${label} is declared wrongly:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return Object.freeze({
    kind: 'atolye.function',
    name: spec.name,
    description: spec.description ?? '',
    input: spec.input,
    output: spec.output,
    limits: limits.data,
    secrets: Object.freeze([...(spec.secrets ?? [])]),
    settings: Object.freeze([...new Set(settings as string[])]),
    ...(spec.init ? { init: spec.init } : {}),
    handle: spec.handle,
  });
}

export function isFunctionDefinition(value: unknown): value is FunctionDefinition {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as { kind?: unknown }).kind === 'atolye.function'
  );
}

/**
 * zod issues as `field: problem` lines, for replies that name each bad field; an issue about the
 * value as a whole is named `whole`.
 */
export function describeIssues(error: z.ZodError, whole = '(input)'): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`);
}

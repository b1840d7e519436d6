import type pg from 'pg';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AtolyeConfig } from '../../config/index.js';
import type { Logging } from '../../logging/index.js';
import type { ActiveAlert } from '../../monitoring/alerts.js';
import type { ReadinessProbe } from '../../monitoring/readiness.js';
import type { ApiKeyIdentity } from '../../store/api-keys.js';
import type { CronScheduler } from '../crons.js';
import type { Executor } from '../executor.js';
import type { RunEvents } from '../run-events.js';
import type { RunsStore } from '../runs-store.js';
import type { CallCheckout, ThreadWorkspaces } from '../thread-workspace.js';
import type { Caller } from './access.js';

/**
 * The types app.ts and its routes share. They live apart from app.ts so that a route needs
 * nothing from the module that assembles it (no import cycle).
 */

/** What the API needs of the key store. */
export interface KeyVerifier {
  /** Who a presented key belongs to, if it is a live key. */
  verify(key: string): Promise<ApiKeyIdentity | undefined>;
  /** Whether the key is still live; read fresh each time, so a revocation counts at once. */
  isLive(id: number): Promise<boolean>;
  /** Names of the keys that have belonged to `team`. */
  teamMembers(team: string): Promise<string[]>;
}

export interface ApiDeps {
  config: AtolyeConfig;
  store: RunsStore;
  events: RunEvents;
  executor: Executor;
  /** Fires the crons; the cron routes create, change and delete them through it. */
  crons: CronScheduler;
  keys: KeyVerifier;
  /** The Postgres database every orchestrator shares, if they share one (the rate limits count there). */
  sharedPool?: pg.Pool;
  /** The root of every thread's workspace (`workspace.root`). */
  workspaceRoot: string;
  /** Import, diff, patch and push; built from `workspaceRoot` (without git clones) when absent. */
  workspaces?: ThreadWorkspaces;
  /** Calls the `checkout` function, for clones and pushes; none without a worker host. */
  checkout?: CallCheckout;
  logging?: Logging;
  /** Readiness checks (`component:measurement`) beyond the process answering; none by default. */
  readiness?: ReadinessProbe;
  /** The worker host's URL, for the dashboard's system page. */
  hostUrl?: string;
  /** What `GET /metrics` serves (Prometheus text); no route without it. */
  metrics?: { contentType: string; text(): Promise<string> };
  /** The embedded alerts firing now (the dashboard shows them). */
  alerts?: () => ActiveAlert[];
}

/** What the routes see: the deps with every default filled in. */
export type ApiRouteDeps = ApiDeps & { workspaces: ThreadWorkspaces };

export interface ApiEnv {
  Variables: {
    keyName: string;
    /** The verified key of the request (set by auth.ts on every keyed route). */
    caller: Caller;
    /** Set for a refusal whose request line is left out (a rate-limited flood of bad keys). */
    unlogged?: boolean;
    /** The error handler logged this request's failure (with its error): the access line need not. */
    failureLogged?: boolean;
    requestId: string;
    threadId?: string;
    runId?: string;
  };
}

export type ApiApp = OpenAPIHono<ApiEnv>;

import * as z from 'zod';
import { resolveFromRoot } from '../../../config/paths.js';
import {
  ASSET_PATHS,
  dashboardAsset,
  dashboardPage,
  parseHostMetrics,
  tailChannel,
  type HostMetrics,
} from '../../../dashboard/index.js';
import { errorMessage } from '../../../errors.js';
import { CHANNELS } from '../../../logging/record.js';
import { parseReadiness, type ReadinessDocument } from '../../../monitoring/readiness.js';
import { ownLogLines, requireAdmin, scopeOf } from '../access.js';
import { errorResponse } from '../respond.js';
import type { ApiApp, ApiDeps } from '../types.js';

const HOST_TIMEOUT_MS = 2_000;

const LogQuery = z.object({
  run_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** What a bad `logs` channel is told; the channels are fixed. */
const Channel = z.enum(CHANNELS, { message: `the channel is one of ${CHANNELS.join(', ')}` });

/**
 * The web dashboard: a static page, its bundled script and stylesheet (open: they hold no data),
 * and the few reads the run API does not offer (who the key is, the host's health and metrics,
 * alerts, log tails), which need a key. The host's health, metrics and alerts are for admin keys;
 * any other key's log tail holds only the lines of its own threads. Undocumented in OpenAPI:
 * these serve the page, not API clients.
 */
export function addDashboardRoutes(app: ApiApp, deps: ApiDeps): void {
  const page = {
    // The page's script and styles come from this origin only; nothing it shows can run.
    'content-security-policy':
      "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  };
  app.get('/', async (c) => c.html(await dashboardPage(), 200, page));
  for (const asset of ASSET_PATHS) {
    app.get(asset, async (c) => {
      const { body, gzipped, contentType } = await dashboardAsset(asset);
      const headers = {
        'content-type': contentType,
        'cache-control': 'no-cache',
        vary: 'accept-encoding',
      };
      if (gzipped && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
        return c.body(gzipped, 200, { ...headers, 'content-encoding': 'gzip' });
      }
      return c.body(body, 200, headers);
    });
  }

  // What the page shows and hides for this key; the routes enforce it on their own.
  app.get('/dashboard/api/me', (c) => {
    const { name, team, admin } = c.get('caller');
    return c.json({ name, team, admin });
  });

  // The New task form offers only what a run may ask for: this policy or a stricter one.
  app.get('/dashboard/api/approval', (c) => {
    const { approval, approvalTimeoutMs } = deps.config.agent;
    return c.json({ policy: approval, timeoutMs: approvalTimeoutMs });
  });

  app.get('/dashboard/api/system', async (c) => {
    requireAdmin(c.get('caller'), "the host's health and metrics");
    const ready = await app.request('/readyz');
    const [host, metrics] = await Promise.all([
      hostReadiness(deps.hostUrl),
      hostMetrics(deps.hostUrl),
    ]);
    return c.json({
      orchestrator: {
        httpStatus: ready.status,
        health: parseReadiness(await ready.text(), "the orchestrator's /readyz answer"),
      },
      host: { url: deps.hostUrl ?? null, ...host },
      metrics,
      sampledAt: new Date().toISOString(),
    });
  });

  // The embedded alert evaluator's firing alerts; none where it does not run (Prometheus does).
  app.get('/dashboard/api/alerts', (c) => {
    requireAdmin(c.get('caller'), 'the firing alerts');
    return c.json(deps.alerts?.() ?? []);
  });

  app.get('/dashboard/api/logs/:channel', async (c) => {
    const channel = Channel.safeParse(c.req.param('channel'));
    if (!channel.success) {
      return errorResponse(
        c,
        'INVALID_REQUEST',
        `no log channel "${c.req.param('channel')}": ${channel.error.issues[0]?.message ?? ''}`,
      );
    }
    const query = LogQuery.safeParse(c.req.query());
    if (!query.success) {
      const problems = query.error.issues.map(
        (issue) => `${issue.path.join('.')}: ${issue.message}`,
      );
      return errorResponse(c, 'INVALID_REQUEST', `invalid query: ${problems.join('; ')}`);
    }
    const caller = c.get('caller');
    const scope = scopeOf(caller);
    const lines = await tailChannel(resolveFromRoot(deps.config.logging.dir), channel.data, {
      limit: query.data.limit,
      runId: query.data.run_id,
      accept: caller.admin
        ? undefined
        : await ownLogLines(caller, {
            threadVisible: async (threadId) =>
              (await deps.store.thread(threadId, scope)) !== undefined,
            teamMembers: (team) => deps.keys.teamMembers(team),
          }),
    });
    return c.json({ channel: channel.data, lines });
  });
}

type HostReadiness = { httpStatus: number; health: ReadinessDocument } | { unreachable: string };

/** The host's /readyz answer; one that is not a readiness document is shown as why not. */
async function hostReadiness(hostUrl: string | undefined): Promise<HostReadiness> {
  if (hostUrl === undefined) return { unreachable: 'no worker host URL is configured' };
  let httpStatus: number;
  let body: string;
  try {
    const response = await fetch(`${hostUrl}/readyz`, {
      signal: AbortSignal.timeout(HOST_TIMEOUT_MS),
    });
    httpStatus = response.status;
    body = await response.text();
  } catch (error) {
    return { unreachable: `the worker host at ${hostUrl} did not answer: ${errorMessage(error)}` };
  }
  try {
    return {
      httpStatus,
      health: parseReadiness(body, `the /readyz answer of the worker host at ${hostUrl}`),
    };
  } catch (error) {
    return { unreachable: errorMessage(error) };
  }
}

async function hostMetrics(hostUrl: string | undefined): Promise<HostMetrics | null> {
  if (hostUrl === undefined) return null;
  try {
    const response = await fetch(`${hostUrl}/metrics`, {
      signal: AbortSignal.timeout(HOST_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return parseHostMetrics(await response.text());
  } catch {
    // The readiness answer above already says why the host cannot be reached.
    return null;
  }
}

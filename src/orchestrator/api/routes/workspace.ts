import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { AtolyeError } from '../../../errors.js';
import { scopeOf } from '../access.js';
import { noteIds } from '../respond.js';
import type { ApiApp, ApiRouteDeps } from '../types.js';
import { ImportResult } from '../../../workspace/import-result.js';
import { assertThreadId, ThreadId } from '../../../workspace/thread-id.js';
import { strictBody } from '../schemas.js';
import { findThread } from '../serialize.js';
import { failed, json } from './shapes.js';

/** The thread's workspace as the user's code: import it, see and take back the changes, push them. */

const ARCHIVE_TYPES: Record<string, 'tar.gz' | 'zip'> = {
  'application/gzip': 'tar.gz',
  'application/x-gzip': 'tar.gz',
  'application/x-tar': 'tar.gz',
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/octet-stream': 'tar.gz',
};

export const ImportGit = z
  .strictObject({
    git: z.strictObject({
      url: z.string().min(1).max(2048).describe('https:// (or, where allowed, file://) URL'),
      ref: z
        .string()
        .min(1)
        .max(256)
        .optional()
        .describe('branch, tag or commit; default branch when absent'),
    }),
  })
  .meta({ id: 'ImportGit' });

const PushBody = z
  .strictObject({
    branch: z
      .string()
      .min(1)
      .max(200)
      .describe('a new branch of the origin, e.g. "atolye/fix-add"'),
    message: z.string().min(1).max(10_000).optional(),
  })
  .meta({ id: 'PushRequest' });

const PushResult = z
  .object({ branch: z.string(), commit: z.string(), url: z.string() })
  .meta({ id: 'PushResult' });

const DiffQuery = strictBody({
  run_id: z.string().uuid().optional().describe("only this run's changes"),
});

export function addWorkspaceRoutes(app: ApiApp, deps: ApiRouteDeps): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/threads/{thread_id}/import',
    summary:
      "Fill a new thread's workspace: a folder as .tar.gz or .zip (raw body), or a git clone (JSON); it becomes the baseline of every diff",
    request: {
      params: z.object({ thread_id: ThreadId }),
      body: {
        required: true,
        content: {
          'application/gzip': { schema: z.string().meta({ format: 'binary' }) },
          'application/zip': { schema: z.string().meta({ format: 'binary' }) },
          'application/json': { schema: ImportGit },
        },
      },
    },
    responses: {
      200: json(ImportResult, 'what was imported'),
      400: failed,
      404: failed,
      409: failed,
      413: failed,
      415: failed,
    },
  });
  app.post('/threads/:thread_id/import', async (c) => {
    const threadId = c.req.param('thread_id');
    assertThreadId(threadId);
    await findThread(deps.store, threadId, scopeOf(c.get('caller')));
    noteIds(c, { threadId });
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type === 'application/json') {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new AtolyeError('BODY_INVALID_JSON', 'the body is not valid JSON');
      }
      const parsed = ImportGit.safeParse(body);
      if (!parsed.success) {
        throw new AtolyeError(
          'INVALID_REQUEST',
          `invalid body: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}; send {"git": {"url": "https://…", "ref": "main"}}`,
        );
      }
      const { url, ref } = parsed.data.git;
      return c.json(await deps.workspaces.importGit(threadId, url, ref), 200);
    }
    if (ARCHIVE_TYPES[type] === undefined) {
      throw new AtolyeError(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type ${JSON.stringify(type)} is not importable: send a .tar.gz as application/gzip, a .zip as application/zip, or {"git": {...}} as application/json`,
      );
    }
    const body = c.req.raw.body;
    if (!body) {
      throw new AtolyeError('IMPORT_REFUSED', 'the request body is empty: send the archive bytes');
    }
    return c.json(await deps.workspaces.importArchive(threadId, body), 200);
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/diff',
      summary:
        'The workspace against its baseline as a unified diff in git format (renames found, binary files marked); one run only with run_id',
      request: { params: z.object({ thread_id: ThreadId }), query: DiffQuery },
      responses: {
        200: { content: { 'text/x-diff': { schema: z.string() } }, description: 'the diff' },
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const { run_id } = c.req.valid('query');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const bytes = await deps.workspaces.diff(thread_id, run_id);
      return c.body(new Uint8Array(bytes), 200, { 'content-type': 'text/x-diff; charset=utf-8' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/patch',
      summary:
        'The changes as a `git format-patch` mail (binary files included) for `git am` or `git apply`; empty when nothing changed',
      request: { params: z.object({ thread_id: ThreadId }), query: DiffQuery },
      responses: {
        200: { content: { 'text/x-patch': { schema: z.string() } }, description: 'the patch' },
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const { run_id } = c.req.valid('query');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const bytes = await deps.workspaces.patch(thread_id, run_id);
      return c.body(new Uint8Array(bytes), 200, {
        'content-type': 'text/x-patch; charset=utf-8',
        'content-disposition': `attachment; filename="${thread_id}${run_id ? `-${run_id}` : ''}.patch"`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/threads/{thread_id}/push',
      summary:
        'Commit the changes and push them to a new branch of the repository the thread was cloned from',
      request: {
        params: z.object({ thread_id: ThreadId }),
        body: { ...json(PushBody, 'the branch'), required: true },
      },
      responses: {
        200: json(PushResult, 'the pushed branch'),
        400: failed,
        404: failed,
        409: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const { branch, message } = c.req.valid('json');
      await findThread(deps.store, thread_id, scopeOf(c.get('caller')));
      const pushed = await deps.workspaces.push(
        thread_id,
        branch,
        message ?? `Changes by Atölye Şefi (thread ${thread_id})`,
      );
      return c.json({ branch: pushed.ref, commit: pushed.commit, url: pushed.url }, 200);
    },
  );
}

import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { archiveWorkspace, listWorkspace, openWorkspaceFile } from '../../files.js';
import { scopeOf, type Caller } from '../access.js';
import { errorResponse } from '../respond.js';
import type { ApiApp, ApiDeps } from '../types.js';
import { FileTree } from '../schemas.js';
import { findThread } from '../serialize.js';
import { threadWorkspacePath } from '../../../workspace/confine.js';
import { isThreadId, ThreadId, threadIdRefusal } from '../../../workspace/thread-id.js';
import { failed } from './shapes.js';

/** The thread's workspace files: a tree, one file's content, or the whole of it as tar.gz. */
export function addFileRoutes(app: ApiApp, deps: ApiDeps): void {
  async function workspaceOf(threadId: string, caller: Caller): Promise<string> {
    await findThread(deps.store, threadId, scopeOf(caller));
    const dir = threadWorkspacePath(deps.workspaceRoot, threadId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/files',
      summary: "The thread's workspace as a tree with sizes",
      request: { params: z.object({ thread_id: ThreadId }) },
      responses: {
        200: { content: { 'application/json': { schema: FileTree } }, description: 'the tree' },
        404: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const files = await listWorkspace(await workspaceOf(thread_id, c.get('caller')));
      return c.json({ thread_id, files }, 200);
    },
  );

  // A path with slashes does not fit an OpenAPI path parameter: documented by hand, routed by Hono.
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/threads/{thread_id}/files/{path}',
    summary: 'One workspace file, with its content type; paths leaving the workspace are refused',
    request: { params: z.object({ thread_id: ThreadId, path: z.string() }) },
    responses: {
      200: { description: 'the file content' },
      400: failed,
      404: failed,
    },
  });
  // [\s\S], not `.`: a name may hold a newline (%0A), and `.` would leave it to a 404.
  app.get('/threads/:thread_id/files/:path{[\\s\\S]+}', async (c) => {
    const threadId = c.req.param('thread_id');
    if (!isThreadId(threadId)) {
      return errorResponse(c, 'INVALID_REQUEST', threadIdRefusal(threadId));
    }
    const dir = await workspaceOf(threadId, c.get('caller'));
    const file = await openWorkspaceFile(dir, c.req.param('path'));
    return c.body(Readable.toWeb(file.stream) as ReadableStream, 200, {
      'content-type': file.contentType,
      'content-length': String(file.size),
      'last-modified': file.modifiedAt.toUTCString(),
      'x-content-type-options': 'nosniff',
      // The model wrote this file: an HTML page must not run as the API's (and dashboard's) origin.
      'content-security-policy': 'sandbox',
    });
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/threads/{thread_id}/archive',
      summary: "The thread's workspace as a tar.gz archive",
      request: { params: z.object({ thread_id: ThreadId }) },
      responses: {
        200: { content: { 'application/gzip': { schema: z.string() } }, description: 'tar.gz' },
        404: failed,
      },
    }),
    async (c) => {
      const { thread_id } = c.req.valid('param');
      const archive = await archiveWorkspace(await workspaceOf(thread_id, c.get('caller')));
      return c.body(Readable.toWeb(archive) as ReadableStream, 200, {
        'content-type': 'application/gzip',
        'content-disposition': `attachment; filename="${thread_id}.tar.gz"`,
      });
    },
  );
}

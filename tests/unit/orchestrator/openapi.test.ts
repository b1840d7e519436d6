import { readFileSync } from 'node:fs';
import { resolveFromRoot } from '../../../src/config/paths.js';
import {
  OPENAPI_FILE,
  openApiDocument,
  openApiJson,
} from '../../../src/orchestrator/api/openapi.js';

test('docs/api/openapi.json is what the route schemas generate (run `npm run build` when not)', () => {
  expect(readFileSync(resolveFromRoot(OPENAPI_FILE), 'utf8')).toBe(openApiJson());
});

test('the document names every run API path and its schemas', () => {
  const document = openApiDocument() as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, unknown> };
  };
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining([
      '/threads',
      '/threads/{thread_id}',
      '/threads/{thread_id}/state',
      '/threads/{thread_id}/runs',
      '/threads/{thread_id}/runs/stream',
      '/threads/{thread_id}/runs/wait',
      '/threads/{thread_id}/runs/{run_id}',
      '/threads/{thread_id}/runs/{run_id}/join',
      '/threads/{thread_id}/runs/{run_id}/stream',
      '/threads/{thread_id}/runs/{run_id}/cancel',
      '/threads/{thread_id}/files',
      '/threads/{thread_id}/files/{path}',
      '/threads/{thread_id}/archive',
      '/assistants/search',
      '/assistants/{assistant_id}',
    ]),
  );
  expect(Object.keys(document.components.schemas)).toEqual(
    expect.arrayContaining(['Run', 'RunCreate', 'Thread', 'ThreadState', 'Error', 'FileTree']),
  );
});

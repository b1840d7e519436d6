import { writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { AtolyeError } from '../errors.js';
import { FileTree, NODE_NAMES, Run } from '../orchestrator/api/schemas.js';
import { pauseOf } from '../client/approval.js';
import type { RunControls, RunStart } from '../client/follow-run.js';
import { apiFailure, httpStatus } from '../client/run-api.js';
import type { ApprovalPolicy } from '../config/approval.js';
import { apiFetch, call, connect, parseReply, type Api } from './api-client.js';
import { size } from '../client/byte-size.js';
import type { CliContext } from './context.js';
import { oneLine } from './run-progress.js';
import { drive, finish, pausedFirst, startSession, type Outcome } from './run-session.js';
import { table } from './table.js';
import {
  importSource,
  packSource,
  sourceOf,
  takeBack,
  type Imported,
  type SourceOptions,
} from './thread-import.js';

/**
 * What `atolye run`, `runs` and `files` do (run-commands.ts defines them; run-session.ts follows a
 * run through its pauses): clients of the run API,
 * through the official LangGraph SDK. Loaded when one of them runs.
 */

type Run = z.infer<typeof Run>;
export type RunOptions = SourceOptions & {
  json?: boolean;
  approval?: ApprovalPolicy;
  yes?: boolean;
  no?: boolean;
  continue?: boolean;
  pauseBefore?: string[];
  pauseAfter?: string[];
};
export interface RunsOptions {
  thread?: string;
  limit: number;
  json?: boolean;
}
export interface FilesOptions {
  out?: string;
  archive?: string;
  json?: boolean;
}

/** `atolye run`: a task (or `--continue`) on a new or named thread, followed through every pause. */
export async function runTask(
  cli: CliContext,
  task: string | undefined,
  options: RunOptions,
): Promise<void> {
  const controls: RunControls = {
    approval: options.approval,
    pauseBefore: steps('--pause-before', options.pauseBefore),
    pauseAfter: steps('--pause-after', options.pauseAfter),
  };
  const source = sourceOf(cli, options, process.cwd());
  const api = await connect(cli);
  const session = startSession(cli, api, options);
  let outcome: Outcome;
  let imported: Imported | undefined;
  try {
    const packed = source && (await packSource(cli, source));
    if (options.thread !== undefined && options.create !== true) {
      await requireThread(api, options.thread);
    }
    if (options.continue === true && options.thread !== undefined) {
      await requireBreakpoint(api, options.thread);
    }
    const threadId =
      options.thread ?? (await call(api, () => api.client.threads.create())).thread_id;
    session.progress.print(`thread ${threadId}`);
    if (source) {
      const result = await importSource(api, threadId, source, packed);
      imported = result.imported;
      for (const line of result.lines) session.progress.print(line);
    }
    const start: RunStart = options.continue === true ? { continue: true } : { task: task ?? '' };
    outcome = await drive({ ...session, controls }, threadId, start);
  } finally {
    session.spinner?.stop();
  }
  finish(session, outcome, {
    json: options.json,
    extra: imported ? { import: imported } : undefined,
    afterEnd: source ? takeBack(outcome.run.thread_id, source) : undefined,
  });
}

/** Step names for a breakpoint flag, each checked: the API's refusal would name its own field. */
function steps(flag: string, names: string[] | undefined): string[] | undefined {
  const unknown = (names ?? []).filter((name) => !(NODE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new AtolyeError(
      'RUN_INVALID',
      `${flag}: no step ${unknown.map((name) => `"${name}"`).join(', ')}; the steps are ${NODE_NAMES.join(', ')}`,
    );
  }
  return names;
}

/** `--continue` goes on from a breakpoint; anything else the thread is (or is not) waiting for is refused. */
async function requireBreakpoint(api: Api, threadId: string): Promise<void> {
  const pause = await pauseOf(api, threadId);
  if (pause === undefined) {
    throw new AtolyeError(
      'THREAD_NOT_PAUSED',
      `thread ${threadId} is not paused: there is nothing to continue; give it a task with \`npx atolye run --thread ${threadId} "TASK"\``,
    );
  }
  if (pause.kind === 'approval') throw pausedFirst(threadId, pause);
}

/**
 * A mistyped --thread would otherwise start a run on a new, empty thread of that name: refuse it
 * unless --create asks for exactly that. The API answers 404 alike for a thread that does not
 * exist and one another key owns.
 */
async function requireThread(api: Api, threadId: string): Promise<void> {
  try {
    await api.client.threads.get(threadId);
  } catch (error) {
    if (httpStatus(error) !== 404) throw apiFailure(api, error);
    throw new AtolyeError(
      'THREAD_NOT_FOUND',
      `no thread ${threadId} at ${api.url} that this API key can see: list recent threads with \`npx atolye runs\` (the thread column), leave out --thread to start a new one, or add --create to create thread ${threadId}`,
    );
  }
}

export async function listRuns(cli: CliContext, options: RunsOptions): Promise<void> {
  const api = await connect(cli);
  const threadIds = options.thread
    ? [options.thread]
    : (await call(api, () => api.client.threads.search({ limit: 10 }))).map(
        (thread) => thread.thread_id,
      );
  const runs = (
    await Promise.all(
      threadIds.map(async (id) =>
        parseReply(
          api,
          z.array(Run),
          await call(api, () => api.client.runs.list(id, { limit: options.limit })),
        ),
      ),
    )
  )
    .flat()
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, options.limit);
  if (options.json) {
    cli.output.out(JSON.stringify(runs, null, 2));
    return;
  }
  if (runs.length === 0) {
    cli.output.out('no runs yet; start one with `npx atolye run "TASK"`');
    return;
  }
  cli.output.out(
    table(
      ['run', 'thread', 'status', 'created', 'task'],
      runs.map((run) => [
        run.run_id,
        run.thread_id,
        run.status,
        `${run.created_at.slice(0, 19)}Z`,
        oneLine(run.kwargs.input.task, 48),
      ]),
    ),
  );
}

export async function showFiles(
  cli: CliContext,
  threadId: string,
  filePath: string | undefined,
  options: FilesOptions,
): Promise<void> {
  const api = await connect(cli);
  const base = `/threads/${encodeURIComponent(threadId)}`;
  if (options.archive) {
    const bytes = await (await apiFetch(api, `${base}/archive`)).arrayBuffer();
    await writeFile(options.archive, new Uint8Array(bytes));
    cli.output.out(`saved thread ${threadId} to ${options.archive} (${size(bytes.byteLength)})`);
    return;
  }
  if (filePath === undefined) {
    const response = await apiFetch(api, `${base}/files`);
    const { files } = parseReply(api, FileTree, await response.json());
    if (options.json) cli.output.out(JSON.stringify(files, null, 2));
    else cli.output.out(describeTree(threadId, files));
    return;
  }
  const encoded = filePath.split('/').map(encodeURIComponent).join('/');
  const response = await apiFetch(api, `${base}/files/${encoded}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (options.out) {
    await writeFile(options.out, bytes);
    cli.output.out(`saved ${filePath} to ${options.out} (${size(bytes.byteLength)})`);
  } else if (isText(response.headers.get('content-type') ?? '')) {
    cli.output.out(new TextDecoder().decode(bytes));
  } else {
    throw new AtolyeError(
      'FILE_BINARY',
      `${filePath} is not text (${response.headers.get('content-type') ?? 'no content type'}); save it with --out FILE`,
    );
  }
}

function describeTree(threadId: string, files: z.infer<typeof FileTree>['files']): string {
  if (files.length === 0) return `the workspace of thread ${threadId} is empty`;
  const regular = files.filter((entry) => entry.type === 'file');
  const total = regular.reduce((sum, entry) => sum + entry.size, 0);
  const rows = files.map((entry) => {
    const depth = entry.path.split('/').length - 1;
    const name = entry.path.split('/').at(-1) ?? entry.path;
    const label = `${'  '.repeat(depth)}${name}${entry.type === 'directory' ? '/' : ''}`;
    return { label, bytes: entry.type === 'directory' ? '' : size(entry.size) };
  });
  const width = Math.max(...rows.map((row) => row.label.length));
  const sizeWidth = Math.max(...rows.map((row) => row.bytes.length));
  return [
    `thread ${threadId}: ${regular.length} files, ${size(total)}`,
    '',
    ...rows.map((row) => `${row.label.padEnd(width)}  ${row.bytes.padStart(sizeWidth)}`.trimEnd()),
  ].join('\n');
}

function isText(contentType: string): boolean {
  return /^text\/|charset=|json|xml|javascript/.test(contentType);
}

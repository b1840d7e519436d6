import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AtolyeConfig } from '../config/index.js';
import { AtolyeError } from '../errors.js';
import { extractArchive } from '../workspace/archive.js';
import {
  baselineOf,
  diff,
  ensureBaseline,
  formatPatch,
  recordTimeline,
  restoreWorkspace,
  GIT_DIRS,
  gitWorkspace,
  resolveRef,
  snapshot,
  type DiffOptions,
  type GitWorkspace,
} from '../workspace/git.js';
import type { ImportResult } from '../workspace/import-result.js';
import type { CheckoutInput, CheckoutOutput } from '../workspace/remote.js';
import { assertThreadId } from '../workspace/thread-id.js';
import type { RunsStore } from './runs-store.js';

/**
 * What the run API does with a thread's workspace beyond serving files: import (an archive, or a
 * clone through the `checkout` function), the diff and patch against the baseline, and a push.
 * Runs are bracketed by snapshots (`refs/atolye/runs/<run>/start|end`) so one run's changes can be
 * shown on their own.
 */

/** Calls the `checkout` function for a thread (a signed call to the worker host). */
export type CallCheckout = (threadId: string, input: CheckoutInput) => Promise<CheckoutOutput>;

export interface ThreadWorkspacesOptions {
  config: AtolyeConfig;
  store: RunsStore;
  /** `workspace.root`, resolved. */
  root: string;
  checkout?: CallCheckout;
}

export const runStartRef = (runId: string): string => `refs/atolye/runs/${runId}/start`;
export const runEndRef = (runId: string): string => `refs/atolye/runs/${runId}/end`;

export class ThreadWorkspaces {
  /** Threads with an import under way in this process: a second one waits for nothing, it is refused. */
  private readonly importing = new Set<string>();

  constructor(private readonly options: ThreadWorkspacesOptions) {}

  /** The thread's folders; an id that is not a thread id (it could lead elsewhere) is refused. */
  git(threadId: string): GitWorkspace {
    assertThreadId(threadId);
    return gitWorkspace(this.options.root, threadId);
  }

  /** Unpacks an uploaded `.tar.gz` or `.zip` into the thread's empty workspace and makes it the baseline. */
  async importArchive(threadId: string, body: ReadableStream<Uint8Array>): Promise<ImportResult> {
    const { config } = this.options;
    return this.exclusive(threadId, async (ws) => {
      const uploads = path.join(this.options.root, GIT_DIRS, 'uploads');
      await mkdir(uploads, { recursive: true });
      const file = path.join(uploads, `${randomUUID()}.upload`);
      try {
        await saveLimited(body, file, config.workspace.importMaxArchiveBytes);
        await rm(ws.workTree, { recursive: true, force: true });
        const unpacked = await extractArchive(file, ws.workTree, {
          maxFiles: config.workspace.importMaxFiles,
          maxBytes: config.workspace.importMaxBytes,
          maxRatio: config.workspace.importMaxRatio,
        });
        const baseline = await ensureBaseline(ws, 'Baseline: imported archive').catch(
          async (error: unknown) => {
            await rm(ws.workTree, { recursive: true, force: true });
            throw error;
          },
        );
        return {
          thread_id: threadId,
          source: { type: 'archive', format: unpacked.format },
          files: unpacked.files,
          bytes: unpacked.bytes,
          baseline,
        };
      } finally {
        await rm(file, { force: true });
      }
    });
  }

  /** Clones a repository into the thread's empty workspace (in the `checkout` function). */
  async importGit(threadId: string, url: string, ref: string | undefined): Promise<ImportResult> {
    const checkout = this.options.checkout;
    if (!checkout) {
      throw new AtolyeError(
        'GIT_UNAVAILABLE',
        'this orchestrator has no worker host to run the checkout function: import an archive instead',
      );
    }
    return this.exclusive(threadId, async () => {
      const cloned = await checkout(threadId, { op: 'clone', url, ...(ref ? { ref } : {}) });
      return {
        thread_id: threadId,
        source: { type: 'git', url: cloned.url, ref: cloned.ref },
        files: cloned.files,
        bytes: cloned.bytes,
        baseline: cloned.commit,
      };
    });
  }

  /** The thread's changes against its baseline, or one run's (from its start to its end or now). */
  async diff(threadId: string, runId?: string): Promise<Buffer> {
    return diff(this.git(threadId), await this.range(threadId, runId));
  }

  async patch(threadId: string, runId?: string): Promise<Buffer> {
    const subject = runId
      ? `Changes of run ${runId} (Atolye Sefi, thread ${threadId})`
      : `Changes of thread ${threadId} (Atolye Sefi)`;
    return formatPatch(this.git(threadId), subject, await this.range(threadId, runId));
  }

  async push(threadId: string, branch: string, message: string): Promise<CheckoutOutput> {
    const checkout = this.options.checkout;
    if (!checkout) {
      throw new AtolyeError('GIT_UNAVAILABLE', 'this orchestrator has no worker host to push with');
    }
    await this.assertIdle(threadId);
    return checkout(threadId, { op: 'push', branch, message });
  }

  /** Snapshot at a run's start; the baseline is made here for a thread that has none. */
  async runStarted(threadId: string, runId: string): Promise<void> {
    await snapshot(this.git(threadId), runStartRef(runId), `Before run ${runId}`);
  }

  /** The workspace as it is now, on the thread's timeline: what a checkpoint records. */
  async record(threadId: string): Promise<string> {
    return recordTimeline(this.git(threadId));
  }

  /**
   * Brings the workspace back to a commit a checkpoint recorded (a fork); a checkpoint from before
   * any step recorded one is the baseline's (a thread without one has nothing to bring back).
   */
  async restore(threadId: string, commit: string | null): Promise<void> {
    const ws = this.git(threadId);
    const target = commit ?? (await baselineOf(ws));
    if (target !== undefined) await restoreWorkspace(ws, target);
  }

  runStart(threadId: string, runId: string): Promise<string | undefined> {
    return resolveRef(this.git(threadId), runStartRef(runId));
  }

  async runEnded(threadId: string, runId: string): Promise<void> {
    const ws = this.git(threadId);
    if ((await resolveRef(ws, runStartRef(runId))) === undefined) return;
    await snapshot(ws, runEndRef(runId), `After run ${runId}`);
  }

  private async range(threadId: string, runId: string | undefined): Promise<DiffOptions> {
    const ws = this.git(threadId);
    if (runId === undefined) {
      return { from: (await baselineOf(ws)) ?? (await ensureBaseline(ws)) };
    }
    const run = await this.options.store.get(runId);
    if (!run || run.threadId !== threadId) {
      throw new AtolyeError('RUN_NOT_FOUND', `no run ${runId} on thread ${threadId}`);
    }
    const from = await resolveRef(ws, runStartRef(runId));
    if (from === undefined) {
      throw new AtolyeError(
        'RUN_DIFF_UNAVAILABLE',
        `run ${runId} has no recorded starting point (it has not started, or it ran before diffs were recorded): ask for the thread's whole diff instead`,
      );
    }
    const to = await resolveRef(ws, runEndRef(runId));
    return to ? { from, to } : { from };
  }

  private async assertIdle(threadId: string): Promise<void> {
    const active = await this.options.store.activeRunsOf(threadId);
    if (active.length > 0 || this.importing.has(threadId)) {
      throw new AtolyeError(
        'THREAD_BUSY',
        active.length > 0
          ? `thread ${threadId} is busy with run ${active[0]?.runId}: wait for it or cancel it`
          : `thread ${threadId} is being imported into already`,
      );
    }
  }

  private async exclusive<T>(threadId: string, work: (ws: GitWorkspace) => Promise<T>): Promise<T> {
    await this.assertIdle(threadId);
    // Marked before the first await, so a second import of the same thread is refused at once.
    this.importing.add(threadId);
    try {
      const ws = this.git(threadId);
      if ((await baselineOf(ws)) !== undefined || !(await isEmpty(ws.workTree))) {
        throw new AtolyeError(
          'WORKSPACE_NOT_EMPTY',
          `thread ${threadId} has a workspace already: import into a new thread (POST /threads)`,
        );
      }
      return await work(ws);
    } finally {
      this.importing.delete(threadId);
    }
  }
}

async function isEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return true;
  }
}

/** Writes a request body to a file, refusing it (IMPORT_TOO_LARGE) as soon as it passes `limit`. */
async function saveLimited(body: ReadableStream<Uint8Array>, file: string, limit: number) {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) {
        done(
          new AtolyeError(
            'IMPORT_TOO_LARGE',
            `the archive is larger than ${limit} bytes (workspace.importMaxArchiveBytes): leave build output and dependencies out, or raise the limit`,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(body as never), counter, createWriteStream(file));
  if (seen === 0) {
    throw new AtolyeError(
      'IMPORT_REFUSED',
      'the request body is empty: send the bytes of a .tar.gz or .zip archive',
    );
  }
}

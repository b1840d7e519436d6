import path from 'node:path';
import { CommanderError } from 'commander';
import type { FolderArchive, SkippedEntry } from '../client/index.js';
import { loadConfig } from '../config/index.js';
import type { Api } from './api-client.js';
import { size } from '../client/byte-size.js';
import type { CliContext } from './context.js';
import { importArchive, importRepository, type ImportReply } from '../client/workspace-api.js';

/**
 * `atolye run --dir | --repo`: a new thread that starts from the user's code — a local folder
 * packed and uploaded, or a repository the server clones — before the task runs on it.
 */

export interface SourceOptions {
  thread?: string;
  /** With `thread`: create it when it does not exist (without, an unknown thread is refused). */
  create?: boolean;
  dir?: string | true;
  include?: string[];
  repo?: string;
  ref?: string;
}

export type WorkspaceSource =
  | { kind: 'folder'; folder: string; include: string[] }
  | { kind: 'repository'; url: string; ref?: string };

/** What was imported, as `--json` reports it. */
export type Imported = ImportReply & {
  sent?: { files: number; bytes: number; archive_bytes: number; skipped: SkippedEntry[] };
};

const SKIPPED_SHOWN = 10;

/** The source the options ask for; combinations that cannot work are usage errors (exit 2). */
export function sourceOf(
  cli: CliContext,
  options: SourceOptions,
  cwd: string,
): WorkspaceSource | undefined {
  // One line, not commander's usage screen: the problem is the combination, not the syntax.
  const usage = (message: string): never => {
    cli.output.err(`atolye: ${message}`);
    throw new CommanderError(2, 'atolye.usage', message);
  };
  if (options.dir !== undefined && options.repo !== undefined) {
    usage('--dir and --repo both name the code to start from: choose one');
  }
  if ((options.dir !== undefined || options.repo !== undefined) && options.thread !== undefined) {
    usage(
      `thread ${options.thread} has its workspace already: --dir and --repo start a new thread, so leave out --thread`,
    );
  }
  if (options.create === true && options.thread === undefined) {
    usage('--create goes with --thread ID: it creates that thread when it does not exist');
  }
  if (options.ref !== undefined && options.repo === undefined) usage('--ref goes with --repo URL');
  const given = options.include ?? [];
  if (given.length > 0 && options.dir === undefined) {
    usage('--include adds a file of the folder that --dir sends: give --dir too');
  }
  if (options.repo !== undefined) {
    return { kind: 'repository', url: options.repo, ...(options.ref ? { ref: options.ref } : {}) };
  }
  if (options.dir === undefined) return undefined;
  const folder = path.resolve(cwd, options.dir === true ? '.' : options.dir);
  // --include names files as the shell completes them: relative to where the command runs.
  const include = given.map((file) => {
    const relative = path.relative(folder, path.resolve(cwd, file));
    if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`)) {
      usage(`--include ${file} is not a file inside ${folder}`);
    }
    return relative.split(path.sep).join('/');
  });
  return { kind: 'folder', folder, include };
}

/** Packs a folder source before any thread exists, so a folder that cannot be sent costs none. */
export async function packSource(
  cli: CliContext,
  source: WorkspaceSource,
): Promise<FolderArchive | undefined> {
  if (source.kind !== 'folder') return undefined;
  const { config } = loadConfig({ environ: cli.env, overrides: cli.overrides() });
  // Loaded on use: tar and the .gitignore matcher would slow down every other command's start.
  const { packFolder } = await import('../client/folder-archive.js');
  return packFolder(source.folder, {
    include: source.include,
    maxBytes: config.workspace.importMaxArchiveBytes,
  });
}

/** Fills the new thread's workspace and returns what to print. */
export async function importSource(
  api: Api,
  threadId: string,
  source: WorkspaceSource,
  packed: FolderArchive | undefined,
): Promise<{ imported: Imported; lines: string[] }> {
  if (source.kind === 'repository') {
    const { url, ref } = source;
    const reply = await importRepository(api, threadId, ref === undefined ? { url } : { url, ref });
    const at = reply.source.type === 'git' ? reply.source.ref : ref;
    return {
      imported: reply,
      lines: [
        `imported ${count(reply.files, 'file')} (${size(reply.bytes)}) from ${url}${at ? ` at ${at}` : ''}; baseline ${reply.baseline.slice(0, 12)}`,
      ],
    };
  }
  const archive = packed as FolderArchive;
  const reply = await importArchive(api, threadId, archive.archive);
  return {
    imported: {
      ...reply,
      sent: {
        files: archive.files,
        bytes: archive.bytes,
        archive_bytes: archive.archive.byteLength,
        skipped: archive.skippedEntries,
      },
    },
    lines: [
      `sent ${count(archive.files, 'file')} (${size(archive.bytes)}, ${size(archive.archive.byteLength)} compressed) from ${source.folder}; skipped ${archive.skipped}; baseline ${reply.baseline.slice(0, 12)}`,
      ...describeSkipped(archive.skippedEntries),
    ],
  };
}

/** The last line of a run on the user's code: how to review the changes and take them back. */
export function takeBack(threadId: string, source: WorkspaceSource): string {
  const into = source.kind === 'folder' ? ` --dir ${quoteArg(source.folder)}` : '';
  return `review: npx atolye diff ${threadId} · take back: npx atolye apply ${threadId}${into}`;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function describeSkipped(skipped: readonly SkippedEntry[]): string[] {
  const lines = skipped.slice(0, SKIPPED_SHOWN).map((entry) => `  ${entry.path}: ${why(entry)}`);
  if (skipped.length > SKIPPED_SHOWN) lines.push(`  … and ${skipped.length - SKIPPED_SHOWN} more`);
  return lines;
}

function why(entry: SkippedEntry): string {
  switch (entry.reason) {
    case 'secret':
      return `may hold secrets; send it with --include ${JSON.stringify(entry.path)}`;
    case 'symlink':
      return 'a symbolic link that leads out of the folder (or nowhere)';
    case 'special':
      return 'not a regular file';
    case 'unreadable':
      return 'cannot be read';
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

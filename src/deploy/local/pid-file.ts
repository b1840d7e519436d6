import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveFromRoot, type AtolyeConfig } from '../../config/index.js';

/** What every state file holds: the process that wrote it. */
export interface ProcessRecord {
  pid: number;
}

/**
 * A JSON file in the data directory through which a background process (the host, its
 * supervisor, the orchestrator) tells other commands where it is. The process writes it when it
 * is up and removes it when it stops; a file naming a dead process is stale, and `live()` says so.
 */
export class PidFile<T extends ProcessRecord> {
  readonly path: string;

  constructor(config: Pick<AtolyeConfig, 'storage'>, name: string) {
    this.path = path.join(resolveFromRoot(config.storage.dataDir), name);
  }

  /** Replaces the file at once (write, then rename), so a reader never sees half of it. */
  write(state: T): void {
    mkdirSync(path.dirname(this.path), { recursive: true });
    const partial = `${this.path}.${process.pid}.tmp`;
    writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(partial, this.path);
  }

  /** What the file says, whether or not its process still lives. */
  read(): T | undefined {
    try {
      const state = JSON.parse(readFileSync(this.path, 'utf8')) as T;
      return typeof state?.pid === 'number' ? state : undefined;
    } catch {
      return undefined;
    }
  }

  /** What the file says, if its process lives. */
  live(): T | undefined {
    const state = this.read();
    return state && processAlive(state.pid) ? state : undefined;
  }

  /** Removes the file if `pid` wrote it: a newer process's file stays. */
  remove(pid = process.pid): void {
    if (this.read()?.pid === pid) rmSync(this.path, { force: true });
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A live process that runs `atolye` (not an unrelated one that got a recycled pid). */
export function isAtolyeProcess(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('atolye');
  } catch {
    return true; // no /proc here: trust the pid
  }
}

/** Waits for a process to end, up to a deadline; true when it did. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !processAlive(pid);
}

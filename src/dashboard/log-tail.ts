import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Channel } from '../logging/record.js';

/** How much of a channel file one request reads at most, newest first: bounds a run filter's cost. */
const MAX_SCAN_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;

export interface TailOptions {
  limit: number;
  /** Only lines of this run (the `runId` field every line under a run carries). */
  runId?: string;
  /** Only lines this says yes to; they alone count towards `limit`. */
  accept?: (record: Record<string, unknown>) => boolean | Promise<boolean>;
}

/**
 * The last `limit` JSON lines of `<dir>/<channel>.log` (the live file's symlink), oldest first.
 * Reads backwards in chunks, so a long file costs only what the answer needs; lines that are not
 * JSON objects are skipped.
 */
export async function tailChannel(
  dir: string,
  channel: Channel,
  options: TailOptions,
): Promise<Record<string, unknown>[]> {
  let file;
  try {
    file = await open(path.join(dir, `${channel}.log`), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await file.stat();
    const found: Record<string, unknown>[] = [];
    let end = size;
    let rest = Buffer.alloc(0);
    while (end > 0 && size - end < MAX_SCAN_BYTES && found.length < options.limit) {
      const start = Math.max(0, end - CHUNK_BYTES);
      const chunk = Buffer.alloc(end - start);
      await file.read(chunk, 0, chunk.length, start);
      const text = Buffer.concat([chunk, rest]);
      // The first line of a chunk may be cut: keep it for the next (earlier) chunk.
      const cut = start === 0 ? -1 : text.indexOf(0x0a);
      rest = cut === -1 ? Buffer.alloc(0) : text.subarray(0, cut);
      const lines = text
        .subarray(cut + 1)
        .toString('utf8')
        .split('\n');
      for (let i = lines.length - 1; i >= 0 && found.length < options.limit; i--) {
        const record = parseLine(lines[i] ?? '');
        if (
          record &&
          (options.runId === undefined || record.runId === options.runId) &&
          (options.accept === undefined || (await options.accept(record)))
        ) {
          found.push(record);
        }
      }
      end = start;
    }
    return found.reverse();
  } finally {
    await file.close();
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

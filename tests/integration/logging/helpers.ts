import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadConfig, type AtolyeConfig } from '../../../src/config/index.js';
import type { Channel, LogRecord } from '../../../src/logging/index.js';

/** The testing configuration with its logging settings replaced. */
export function testConfig(logging: Partial<AtolyeConfig['logging']>): AtolyeConfig {
  const { config } = loadConfig({ env: 'testing', environ: {} });
  return { ...config, logging: { ...config.logging, ...logging } };
}

/** A fresh log directory per test, removed afterwards. */
export function useTempDir(): { readonly path: string } {
  const holder = { path: '' };
  beforeEach(async () => {
    holder.path = await mkdtemp(path.join(os.tmpdir(), 'atolye-logging-'));
  });
  afterEach(async () => {
    await rm(holder.path, { recursive: true, force: true });
  });
  return holder;
}

/** The records of a channel's live file, read through its `<channel>.log` symlink. */
export function liveRecords(dir: string, channel: Channel): LogRecord[] {
  return parseLines(readFileSync(path.join(dir, `${channel}.log`), 'utf8'));
}

/** Every data file of a channel: live and rotated, plain or gzipped. */
export function channelFiles(dir: string, channel: Channel): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(`${channel}-`));
}

/** The records of every file of a channel, gzipped archives included. */
export function allRecords(dir: string, channel: Channel): LogRecord[] {
  return channelFiles(dir, channel).flatMap((name) => {
    const bytes = readFileSync(path.join(dir, name));
    return parseLines((name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
  });
}

export function parseLines(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LogRecord);
}

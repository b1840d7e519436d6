import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import winston from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { createLogging, withLogContext, CHANNELS } from '../../src/logging/index.js';
import { benchConfig, STAMP, withTimeout, type BenchContext, type Benchmark } from './harness.js';
import { atLeast, type Figure } from './figures.js';
import { sleep } from '../helpers/eventually.js';

const LINES = 200_000;
/** Lines per turn of the event loop, so file writes make progress while lines are made, as in a server. */
const CHUNK = 1_000;
const FULL_ROUNDS = 2;
const QUICK_ROUNDS = 1;
const CLOSE_MAX_MS = 60_000;
const CONTEXT = { requestId: 'req-0123456789', threadId: 'thread-42', runId: 'run-7', step: 'act' };

interface Round {
  ms: number;
  linesOnDisk: number;
}

/**
 * Lines/s through the four channels (createLogging to a temp dir: context, redaction, JSON,
 * rotation, the `errors` copy), timed until close() has everything on disk. Baseline: plain winston
 * with winston-daily-rotate-file into one file, the same lines, in the same run.
 */
export const logThroughput: Benchmark = {
  name: 'log-throughput',
  description: 'four channels vs plain winston + daily-rotate-file to one file',
  async run(ctx) {
    const rounds = ctx.quick ? QUICK_ROUNDS : FULL_ROUNDS;
    const channels: Round[] = [];
    const plain: Round[] = [];
    for (let round = 0; round < rounds; round += 1) {
      plain.push(await plainWinston(ctx));
      channels.push(await fourChannels(ctx));
    }
    const rate = (rounds: Round[]): number =>
      (rounds.length * LINES * 1000) / rounds.reduce((sum, r) => sum + r.ms, 0);
    const lost = (rounds: Round[]): number =>
      rounds.reduce((sum, r) => sum + (LINES - r.linesOnDisk), 0);
    const figures: Figure[] = [
      {
        name: `four channels, ${LINES.toLocaleString('en-US')} lines, incl. close()`,
        value: rate(channels),
        unit: 'lines/s',
        baseline: { name: 'winston + daily-rotate-file, 1 file', value: rate(plain) },
        target: atLeast(50_000),
        note:
          `${rounds} rounds each, interleaved; lines missing on disk after close: channels ${lost(channels)}, ` +
          `baseline ${lost(plain)}`,
      },
    ];
    return { figures, details: { lines: LINES, chunk: CHUNK, rounds, channels, plain } };
  },
};

async function produce(write: (i: number) => void): Promise<void> {
  for (let i = 0; i < LINES; i += CHUNK) {
    const end = Math.min(LINES, i + CHUNK);
    for (let j = i; j < end; j += 1) write(j);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

async function fourChannels(ctx: BenchContext): Promise<Round> {
  const dir = ctx.dir('log-channels');
  const logging = createLogging(benchConfig(dir), { service: 'bench', release: STAMP.release });
  const loggers = CHANNELS.map((channel) => logging.log(channel));
  const started = performance.now();
  await withLogContext(CONTEXT, () =>
    produce((i) =>
      (loggers[i % loggers.length] as (typeof loggers)[number]).info('benchmark line', {
        i,
        tool: 'write_file',
        bytes: 1234,
      }),
    ),
  );
  await withTimeout(logging.close(), CLOSE_MAX_MS, 'closing the four channels');
  const ms = performance.now() - started;
  return { ms, linesOnDisk: countLines(dir) };
}

async function plainWinston(ctx: BenchContext): Promise<Round> {
  const dir = ctx.dir('log-winston');
  const transport = new DailyRotateFile({
    dirname: dir,
    filename: 'baseline-%DATE%',
    extension: '.log',
    maxSize: '20m',
    maxFiles: '14d',
    auditFile: path.join(dir, '.audit', 'baseline.json'),
  });
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'bench', env: STAMP.env, release: STAMP.release, ...CONTEXT },
    transports: [transport],
  });
  const started = performance.now();
  await produce((i) =>
    logger.info('benchmark line', { channel: 'agent', i, tool: 'write_file', bytes: 1234 }),
  );
  const finished = new Promise<void>((resolve) => transport.once('finish', () => resolve()));
  await withTimeout(
    new Promise<void>((resolve) => {
      logger.once('finish', () => resolve());
      logger.end();
    }),
    CLOSE_MAX_MS,
    'ending the winston logger',
  );
  transport.close?.();
  await withTimeout(finished, CLOSE_MAX_MS, 'closing the winston transport');
  // winston's 'finish' is known to come before the file has every line: wait until it does, and count that time.
  for (let waited = 0; countLines(dir) < LINES && waited < 5_000; waited += 50) await sleep(50);
  const ms = performance.now() - started;
  return { ms, linesOnDisk: countLines(dir) };
}

/** Lines in every log file (gzipped archives too) under `dir`; symlinks to live files are skipped. */
function countLines(dir: string): number {
  let lines = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !/\.log(\.gz)?$/.test(entry.name)) continue;
    const raw = readFileSync(path.join(dir, entry.name));
    const text = entry.name.endsWith('.gz')
      ? gunzipSync(raw).toString('utf8')
      : raw.toString('utf8');
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines += 1;
    if (text.length > 0 && !text.endsWith('\n')) lines += 1;
  }
  return lines;
}

import {
  CHANNELS,
  LOG_LEVELS,
  type Channel,
  type LogLevel,
  type LogRecord,
} from '../../logging/record.js';
import type { InvocationMeta } from '../contract.js';
import type { ForwardedLog } from '../protocol.js';
import type { HostLogger, RecordStamp } from './log.js';
import type { StackMapper } from './stack-mapper.js';

const LEVELS = new Set<string>(LOG_LEVELS);
const CHANNEL_NAMES = new Set<string>(CHANNELS);
/** Finished calls whose meta is kept for log records that arrive after the reply. */
const RECENT_META = 256;

/**
 * Turns the records a worker forwards into complete log lines, with the context of the call
 * each belongs to (requestId, threadId, runId, step), and hands them to the host's logger: the
 * host is the only process that writes channel files.
 */
export class LogForwarder {
  private readonly running = new Map<string, InvocationMeta>();
  // The worker sends records after results, and a handler may log from work it left running:
  // records can arrive after the reply, so finished calls are remembered for a while.
  private readonly recent = new Map<string, InvocationMeta>();
  private pending: LogRecord[] = [];

  constructor(
    private readonly functionName: string,
    private readonly pid: number,
    private readonly stamp: RecordStamp,
    private readonly logger: HostLogger,
    private readonly stacks?: StackMapper,
  ) {}

  started(meta: InvocationMeta): void {
    this.running.set(meta.invocationId, meta);
  }

  finished(meta: InvocationMeta): void {
    if (this.running.get(meta.invocationId) !== meta) return;
    this.running.delete(meta.invocationId);
    this.recent.set(meta.invocationId, meta);
    if (this.recent.size > RECENT_META) {
      for (const key of this.recent.keys()) {
        this.recent.delete(key);
        break;
      }
    }
  }

  forward(record: ForwardedLog): void {
    if (record === null || typeof record !== 'object') return;
    const fields =
      record.fields !== null && typeof record.fields === 'object' ? record.fields : undefined;
    const id = record.invocationId;
    const meta = id === undefined ? undefined : (this.running.get(id) ?? this.recent.get(id));
    const channel =
      typeof fields?.channel === 'string' && CHANNEL_NAMES.has(fields.channel)
        ? fields.channel
        : 'agent';
    // Built as one literal, then the handler's fields: `{ ...fields, a, b, … }` costs about a
    // microsecond per added key on V8 11, twenty for a record like this one.
    const line: LogRecord = {
      ts: new Date().toISOString(),
      level: (LEVELS.has(record.level) ? record.level : 'info') as LogLevel,
      channel: channel as Channel,
      msg: String(record.msg),
      service: this.functionName,
      env: this.stamp.env,
      release: this.stamp.release,
      function: this.functionName,
      worker: this.pid,
      invocationId: id,
      requestId: meta?.requestId,
      threadId: meta?.threadId,
      runId: meta?.runId,
      step: meta?.step,
    };
    if (fields) {
      for (const key in fields) if (!(key in line)) line[key] = fields[key];
      const err = fields.err as { stack?: unknown } | null | undefined;
      if (this.stacks && typeof err?.stack === 'string') {
        line.err = { ...err, stack: this.stacks.mapStack(err.stack) };
      }
    }
    // Written after this turn's replies have gone out, so a handler's logging adds no latency.
    this.pending.push(line);
    if (this.pending.length === 1) setImmediate(this.write);
  }

  private readonly write = (): void => {
    const records = this.pending;
    this.pending = [];
    for (const record of records) this.logger.writeRecord(record);
  };
}

import * as z from 'zod';
import { StepUsage, ToolCall } from '../agent/graph/steps.js';
import type { Run } from '../orchestrator/api/schemas.js';
import type { RunFollower, StreamPart } from '../client/follow-run.js';
import { describeFailure, stepName } from '../client/step-failure.js';
import { oneLine } from '../client/text.js';
import type { Output } from './output.js';

export { oneLine };

/**
 * Follows one run's SSE events (`metadata`, `updates`, `values`, `error`, `end`) and, unless
 * quiet, prints a line per step with its duration and tokens and a line per tool call. Durations
 * are measured here, between events: the stream carries no timing of its own.
 */

/** The parts of a step's update the progress lines use; anything else in it is ignored. */
const StepUpdate = z.looseObject({
  usage: z.array(StepUsage.loose()).optional().catch(undefined),
  pendingToolCalls: z.array(ToolCall).optional().catch(undefined),
  filesChanged: z.array(z.string()).optional().catch(undefined),
  commandResults: z
    .array(z.looseObject({ command: z.string(), exitCode: z.number().nullable() }))
    .optional()
    .catch(undefined),
  error: z.object({ code: z.string(), message: z.string() }).nullish().catch(undefined),
});
const Updates = z.record(z.string(), z.unknown());
const Metadata = z.looseObject({ run_id: z.string() });
const StreamError = z.looseObject({ error: z.string().optional(), message: z.string() });

export type { StreamPart };

export class RunProgress implements RunFollower {
  runId: string | undefined;
  /** The id of the last event seen, to re-attach after it when the stream drops. */
  lastEventId: string | undefined;
  /** True once `end` arrived: the run has finished and nothing more will come. */
  ended = false;
  /** The `error` event's message, if the run failed. */
  error: string | undefined;
  values: Record<string, unknown> | undefined;
  private readonly files = new Set<string>();
  private lastEventAt = performance.now();
  private readonly startedAt = performance.now();

  constructor(
    private readonly output: Output,
    private readonly options: { quiet: boolean; spinner?: Spinner },
  ) {}

  /** Files this run changed, in first-seen order (the state also lists earlier runs' files). */
  get filesChanged(): string[] {
    return [...this.files];
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /**
   * Ready to follow the next run of the same command (the answer to a pause): the run's own
   * fields start over; the files, the values and the clock go on.
   */
  nextRun(): void {
    this.runId = undefined;
    this.lastEventId = undefined;
    this.ended = false;
    this.error = undefined;
  }

  event(part: StreamPart): void {
    if (part.id !== undefined) this.lastEventId = part.id;
    if (part.event === 'metadata') {
      const metadata = Metadata.safeParse(part.data);
      if (metadata.success && this.runId === undefined) {
        this.runId = metadata.data.run_id;
        // The first step's time starts with the run, not with creating the thread before it.
        this.lastEventAt = performance.now();
        this.print(`run ${this.runId}`);
      }
    } else if (part.event === 'updates') {
      const updates = Updates.safeParse(part.data);
      if (updates.success) this.step(updates.data);
    } else if (part.event === 'values') {
      const values = Updates.safeParse(part.data);
      if (values.success) this.values = values.data;
    } else if (part.event === 'error') {
      const failure = StreamError.safeParse(part.data);
      this.error = failure.success
        ? [failure.data.error, failure.data.message].filter(Boolean).join(': ')
        : JSON.stringify(part.data);
    } else if (part.event === 'end') {
      this.ended = true;
    }
  }

  /** Prints a line unless quiet, clearing the spinner first so the two never share a line. */
  print(line: string): void {
    if (this.options.quiet) return;
    this.options.spinner?.clear();
    this.output.out(line);
  }

  private step(updates: Record<string, unknown>): void {
    const now = performance.now();
    const durationMs = now - this.lastEventAt;
    this.lastEventAt = now;
    for (const [name, raw] of Object.entries(updates)) {
      // LangGraph's record of a pause, not a step: what it waits for is printed once the run ends.
      if (name === INTERRUPT_KEY) continue;
      const node = stepName(name);
      const update = StepUpdate.safeParse(raw ?? {});
      if (!update.success) {
        this.print(`  ${node.padEnd(9)} ${formatDuration(durationMs)}`);
        continue;
      }
      const { usage, pendingToolCalls, filesChanged, commandResults, error } = update.data;
      for (const file of filesChanged ?? []) this.files.add(file);
      const tokens = (usage ?? []).reduce(
        (sum, entry) => sum + entry.inputTokens + entry.outputTokens,
        0,
      );
      const cells = [`  ${node.padEnd(9)}`, formatDuration(durationMs).padStart(8)];
      if (tokens > 0) cells.push(`${tokens} tokens`);
      this.print(cells.join('  '));
      if (error) this.print(`      ✗ ${describeFailure(error, node)}`);
      for (const call of pendingToolCalls ?? []) {
        this.print(`      → ${call.name} ${shortArgs(call.args)}`.trimEnd());
      }
      for (const result of commandResults ?? []) {
        const status = result.exitCode === null ? 'no exit code' : `exit ${result.exitCode}`;
        this.print(`      $ ${oneLine(result.command, 60)} (${status})`);
      }
    }
  }
}

const INTERRUPT_KEY = '__interrupt__';

/** A one-line spinner on stderr while waiting for the next event; only for a terminal. */
export class Spinner {
  private static readonly FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private shown = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clear();
  }

  private draw(): void {
    this.frame = (this.frame + 1) % Spinner.FRAMES.length;
    const elapsed = formatDuration(performance.now() - this.startedAt);
    this.stream.write(`\r\x1b[K${Spinner.FRAMES[this.frame]} ${this.label} ${elapsed}`);
    this.shown = true;
  }
}

/** The end of the report: files changed, the summary, status, time and usage. */
export function describeEnd(
  run: Pick<z.infer<typeof Run>, 'run_id' | 'thread_id' | 'status' | 'usage'>,
  files: string[],
  summary: string | null,
  elapsedMs: number,
): string {
  const { usage } = run;
  const totals = ` · ${usage.input_tokens + usage.output_tokens} tokens · $${usage.cost_usd.toFixed(4)}`;
  return [
    '',
    files.length > 0 ? `files changed (${files.length}):` : 'no files changed',
    ...files.map((file) => `  ${file}`),
    ...(summary ? ['', summary] : []),
    '',
    `run ${run.run_id} ${run.status} in ${formatDuration(elapsedMs)}${totals}`,
    `files: npx atolye files ${run.thread_id}`,
  ].join('\n');
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `key=value` pairs on one line, each value cut short: enough to recognise the call. */
export function shortArgs(args: unknown): string {
  if (args === undefined || args === null) return '';
  if (typeof args !== 'object' || Array.isArray(args)) return oneLine(JSON.stringify(args), 80);
  const pairs = Object.entries(args).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `${key}=${oneLine(text ?? '', 40)}`;
  });
  return oneLine(pairs.join(' '), 100);
}

import { createInterface } from 'node:readline';
import type { ApprovalAnswer, HeldCall } from '../client/approval.js';

/**
 * The question `atolye run` asks on a terminal when a run holds tool calls: yes approves them all,
 * no rejects them all with a reason typed next. Streams are injected so a test can answer it.
 */

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  /** Where the questions go: stderr, so that stdout stays the run's report. */
  output: NodeJS.WritableStream;
}

/** The reason sent when a person rejects at the prompt and types none. */
export const PROMPT_REJECT_REASON = 'rejected at the prompt';

/**
 * The person's answer, or undefined when the input ended without one (Ctrl-D): the thread then
 * stays paused, to be answered later.
 */
export async function askApproval(
  calls: readonly HeldCall[],
  streams: PromptStreams,
): Promise<ApprovalAnswer | undefined> {
  const lines = new LineReader(streams);
  try {
    const question =
      calls.length === 1
        ? 'Approve this call? [y/N] '
        : `Approve all ${calls.length} calls? [y/N] `;
    for (;;) {
      const answer = await lines.ask(question);
      if (answer === undefined) return undefined;
      const word = answer.trim().toLowerCase();
      if (word === 'y' || word === 'yes') return { approved: true };
      if (word === '' || word === 'n' || word === 'no') break;
      streams.output.write('Answer y (run them) or n (do not run them).\n');
    }
    const reason = await lines.ask('Why not? The agent reads this (Enter to skip): ');
    if (reason === undefined) return undefined;
    return { approved: false, reason: reason.trim() || PROMPT_REJECT_REASON };
  } finally {
    lines.close();
  }
}

/**
 * Lines from the input, one per question; undefined once the input ends. Not in terminal mode:
 * the terminal echoes and edits the line itself, and Ctrl-C stops the command as anywhere else
 * (the thread stays paused).
 */
class LineReader {
  private readonly rl;
  private readonly queued: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;

  constructor(private readonly streams: PromptStreams) {
    this.rl = createInterface({ input: streams.input, output: streams.output, terminal: false });
    this.rl.on('line', (line) => {
      if (this.waiting) this.settle(line);
      else this.queued.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      this.settle(undefined);
    });
  }

  ask(question: string): Promise<string | undefined> {
    this.streams.output.write(question);
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  close(): void {
    this.rl.close();
  }

  private settle(line: string | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(line);
  }
}

import { randomUUID } from 'node:crypto';
import type { ChannelLogger } from '../logging/index.js';
import type { RunRecord, RunsStore } from './runs-store.js';

/**
 * An approval nobody gives is a rejection: `agent.approvalTimeoutMs` after a run paused for
 * approval, its thread is answered with `approved: false` on a new run, unless a person answered
 * (or anything else ran on the thread) first. Paused runs found at start-up are timed from when
 * they paused, so a restart neither forgets nor restarts the clock.
 */

/** setTimeout's longest delay; a longer wait is taken in steps. */
const MAX_DELAY_MS = 2_147_483_647;

export interface ApprovalTimeoutOptions {
  timeoutMs: number;
  store: RunsStore;
  /** Queues the rejecting run, recorded on the paused run's thread. */
  start(run: RunRecord): void;
  log: Pick<ChannelLogger, 'info' | 'warn'>;
}

export class ApprovalTimeouts {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: ApprovalTimeoutOptions) {}

  /** Starts the clock of a run that ended paused for approval; other runs are ignored. */
  watch(run: RunRecord): void {
    if (this.options.timeoutMs === 0 || run.status !== 'interrupted') return;
    if (run.stopReason !== 'approval' || this.timers.has(run.runId)) return;
    const due = Date.parse(run.updatedAt) + this.options.timeoutMs;
    this.arm(run, due);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(run: RunRecord, due: number): void {
    const delay = Math.min(Math.max(0, due - Date.now()), MAX_DELAY_MS);
    const timer = setTimeout(() => {
      this.timers.delete(run.runId);
      if (Date.now() < due) this.arm(run, due);
      else {
        this.expire(run).catch((error: unknown) => {
          this.options.log.warn('the timed-out approval could not be answered', { err: error });
        });
      }
    }, delay);
    timer.unref();
    this.timers.set(run.runId, timer);
  }

  private async expire(run: RunRecord): Promise<void> {
    const reason = `no approval within ${this.options.timeoutMs} ms (agent.approvalTimeoutMs)`;
    // The answer goes on as the paused run would have: same policy, model, limits and breakpoints.
    const settings = { ...run.control };
    delete settings.resume;
    delete settings.continue;
    delete settings.checkpointId;
    // Recorded only while the paused run is still the thread's last (not answered, nothing else
    // ran since), and by one orchestrator only when several time it out at once.
    const answer = await this.options.store.createRunAfter(
      run.runId,
      randomUUID(),
      run.threadId,
      run.task,
      {
        metadata: { approval_timeout: true },
        webhook: run.webhook,
        control: { ...settings, resume: { approved: false, reason } },
      },
    );
    if (!answer) return;
    this.options.log.info(`approval timed out; the held calls are rejected`, {
      threadId: run.threadId,
      runId: run.runId,
    });
    this.options.start(answer);
  }
}

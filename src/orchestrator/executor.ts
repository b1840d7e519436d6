import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import {
  buildAgentGraph,
  DEFAULT_MAX_ITERATIONS,
  type AgentGraph,
  type AgentStateValue,
  type CallStep,
} from '../agent/graph/index.js';
import type { ErrorCode } from '../error-codes/index.js';
import { AtolyeError, errorCodeOf, errorMessage } from '../errors.js';
import { currentLogContext, log, withLogContext } from '../logging/index.js';
import { createInvoker } from '../runtime/invoke.js';
import { ApprovalTimeouts } from './approval-timeout.js';
import { copyThreadCheckpoints } from './checkpoint-copy.js';
import { DeferredCheckpointSaver } from './checkpointer.js';
import type { Executor, ExecutorOptions, RunSnapshots } from './executor-types.js';
import {
  approvalGate,
  breakpoints,
  checkpointIdOf,
  controlFields,
  pauseOf,
  runConfigOf,
  runInput,
  sumUsage,
  toThreadState,
  workspaceRecorder,
} from './run-control.js';
import { startingPoint, type StartDeps } from './run-start.js';
import { RunsStore, type RunRecord } from './runs-store.js';
import { mapAgentStatus } from './status.js';
import { stepClient, type StepCallRecord } from './step-client.js';
import { declaredRetries, stepFailureLogger } from './step-retries.js';
import { RECORDED_MODES, streamRecorder } from './stream-recorder.js';
import { threadTimeline } from './thread-timeline.js';

/**
 * Runs agent tasks: one LangGraph invocation per run, each step a signed call to the worker host,
 * a checkpoint after every step. The LangGraph thread is the run's thread, so a follow-up run
 * continues with the thread's history; each run is a new invocation with its task as input, and
 * runs of one thread go one after another. A run left `running` by a stopped orchestrator is
 * resumed from its last checkpoint by `resumeUnfinished()`, not started again.
 */

export type {
  Executor,
  ExecutorLimits,
  ExecutorOptions,
  RunSnapshots,
  ThreadState,
  ThreadTask,
} from './executor-types.js';

type Start = 'fresh' | 'resume';

export function createExecutor(options: ExecutorOptions): Executor {
  const { config, limits = {} } = options;
  const ownStore = options.store === undefined;
  const store = options.store ?? new RunsStore(path.join(options.dataDir, 'orchestrator.sqlite'));
  const events = options.events ?? { append: () => undefined };
  const checkpointer = new DeferredCheckpointSaver({
    url: config.storage.url,
    dataDir: options.dataDir,
  });
  const agentLog = (options.logging ?? { log }).log('agent');
  const systemLog = (options.logging ?? { log }).log('system');
  const maxIterations = limits.maxIterations ?? DEFAULT_MAX_ITERATIONS;

  /** Aborted by close(): every graph invocation stops at once and writes nothing more. */
  const stopping = new AbortController();
  /** Aborted after the graphs have stopped: the HTTP calls still in flight are dropped. */
  const detach = new AbortController();
  const never = new Promise<never>(() => undefined);

  const client = stepClient({
    invoke: createInvoker({ baseUrl: options.hostUrl, secret: options.signingSecret }),
    timeoutMs:
      limits.stepTimeoutMs ?? 2 * Math.max(config.model.timeoutMs, config.sandbox.timeoutMs),
    signal: detach.signal,
    onCall: logStep,
  });
  // A step that returns after close() must not reach the graph, or its result (or the abort
  // error) would be checkpointed as the step's outcome instead of being run again on resume.
  const callStep: CallStep = async (name, input, call) => {
    try {
      const output = await client(name, input, call);
      if (stopping.signal.aborted) return await never;
      return output;
    } catch (error) {
      if (stopping.signal.aborted) return await never;
      throw error;
    }
  };

  const cancelled = new Set<string>();
  const graph: AgentGraph = buildAgentGraph({
    callStep,
    checkpointer,
    limits,
    retries: options.stepRetries ?? declaredRetries(options.distDir, systemLog),
    retry: options.retry,
    onStepFailure: stepFailureLogger(agentLog, () => detach.signal.aborted),
    approval: approvalGate(config, options.signingSecret),
    recordWorkspace: workspaceRecorder(options.snapshots, agentLog),
    isCancelled: (_threadId, runId) =>
      cancelled.has(runId) || store.get(runId)?.cancelRequested === true,
  });

  const starts: StartDeps = {
    graph,
    checkpointer,
    store,
    snapshots: options.snapshots,
    log: agentLog,
  };
  const timeouts = new ApprovalTimeouts({
    timeoutMs: config.agent.approvalTimeoutMs,
    store,
    log: agentLog,
    start: (run) => enqueue(run, 'fresh'),
  });

  const runs = new Map<string, Promise<RunRecord>>();
  const tails = new Map<string, Promise<unknown>>();
  let closed = false;

  function logStep(record: StepCallRecord): void {
    // A call dropped by close() belongs to no run any more; its resumed twin is logged instead.
    if (detach.signal.aborted) return;
    options.onStep?.(record, currentLogContext().runId);
    const { step, ok, toolCalls = [], ...fields } = record;
    withLogContext({ step }, () => {
      if (ok) agentLog.info(`step ${step} finished`, fields);
      else agentLog.warn(`step ${step} failed`, fields);
      // A failed call is an observation for the model, not a failure of the run: info either way.
      for (const { tool, ...call } of toolCalls) agentLog.info(`tool ${tool}`, { tool, ...call });
    });
  }

  function enqueue(run: RunRecord, start: Start): void {
    const previous = tails.get(run.threadId) ?? Promise.resolve();
    const done = previous.then(() => execute(run.runId, start));
    tails.set(run.threadId, done);
    runs.set(run.runId, done);
    void done.finally(() => {
      if (tails.get(run.threadId) === done) tails.delete(run.threadId);
    });
  }

  async function execute(runId: string, start: Start): Promise<RunRecord> {
    const run = store.get(runId) as RunRecord;
    if (stopping.signal.aborted) return run;
    if (run.status !== 'pending' && run.status !== 'running') return run;
    if (run.cancelRequested) {
      return finish(runId, { status: 'interrupted', stopReason: 'cancelled' });
    }
    return withLogContext({ threadId: run.threadId, runId }, () => drive(run, start));
  }

  async function drive(run: RunRecord, start: Start): Promise<RunRecord> {
    // LangGraph adds an abort listener to the signal it is given and never removes it. One signal
    // per run, linked to `stopping` only while the run lasts, keeps runs from piling them up there.
    const runStop = new AbortController();
    const forward = (): void => runStop.abort(stopping.signal.reason);
    stopping.signal.addEventListener('abort', forward, { once: true });
    try {
      return await driveRun(run, start, runStop.signal);
    } finally {
      stopping.signal.removeEventListener('abort', forward);
    }
  }

  async function driveRun(run: RunRecord, start: Start, stop: AbortSignal): Promise<RunRecord> {
    const deadline =
      limits.runTimeoutMs === undefined ? undefined : AbortSignal.timeout(limits.runTimeoutMs);
    const threadConfig = { configurable: { thread_id: run.threadId } };
    const runConfig: LangGraphRunnableConfig = {
      ...runConfigOf(run, maxIterations),
      signal: deadline ? AbortSignal.any([stop, deadline]) : stop,
    };
    let offset = run.usageOffset;
    try {
      const snapshot = await graph.getState(threadConfig);
      const latest = checkpointIdOf(snapshot.config);
      // A checkpoint newer than the one the run started from is this run's own progress.
      const progressed = start === 'resume' && latest !== run.startCheckpoint;
      // Tasks left means the graph has not ended; `next` alone misses a step whose writes were
      // saved but whose checkpoint was not (stopped in between): invoking applies them and goes on.
      if (progressed && snapshot.tasks.length > 0) {
        agentLog.info('run resumed from its last checkpoint', { next: snapshot.next });
        await streamRun(run, null, runConfig);
      } else if (!progressed) {
        const from = await startingPoint(starts, run, snapshot);
        offset = (from.values as Partial<AgentStateValue>).usage?.steps.length ?? 0;
        await takeSnapshot('runStarted', run);
        store.markRunning(run.runId, offset, latest);
        events.append(run.runId, 'metadata', { run_id: run.runId, thread_id: run.threadId });
        agentLog.info('run started', { task: run.task, ...controlFields(run.control) });
        const fork = run.control.checkpointId;
        await streamRun(
          run,
          runInput(run),
          fork === undefined
            ? runConfig
            : { ...runConfig, configurable: { ...runConfig.configurable, checkpoint_id: fork } },
        );
      }
      // Otherwise it stopped after the graph ended but before the run row was written.
      const after = await graph.getState(threadConfig);
      const final = after.values as AgentStateValue;
      const usage = sumUsage(final.usage.steps.slice(offset));
      const pause = pauseOf(after, run.control);
      if (pause) {
        await takeSnapshot('runEnded', run);
        const record = finish(run.runId, {
          status: 'interrupted',
          stopReason: pause.reason,
          interrupts: pause.interrupts,
          usage,
        });
        agentLog.info(`run paused before ${pause.next.join(', ')} (${pause.reason})`, {
          interrupts: pause.interrupts.length,
        });
        return record;
      }
      const { status, stopReason } = mapAgentStatus(final.status);
      await takeSnapshot('runEnded', run);
      const record = finish(run.runId, {
        status: status === 'running' ? 'error' : status,
        stopReason,
        error:
          status === 'running'
            ? {
                code: 'RUN_INCOMPLETE' satisfies ErrorCode,
                message: 'the graph ended without a terminal status',
              }
            : final.error,
        summary: final.summary,
        usage,
      });
      agentLog.info(`run ended: ${record.status}`, {
        stopReason: record.stopReason,
        ...record.usage,
      });
      return record;
    } catch (error) {
      if (stopping.signal.aborted) {
        agentLog.info('run left running: the orchestrator is stopping');
        return store.get(run.runId) as RunRecord;
      }
      const timedOut = deadline?.aborted === true;
      await takeSnapshot('runEnded', run);
      const record = finish(run.runId, {
        status: timedOut ? 'timeout' : 'error',
        error: timedOut
          ? {
              code: 'RUN_TIMEOUT' satisfies ErrorCode,
              message: `the run did not finish within ${limits.runTimeoutMs} ms (limits.runTimeoutMs)`,
            }
          : {
              code: errorCodeOf(error) ?? ('RUN_FAILED' satisfies ErrorCode),
              message: errorMessage(error),
            },
      });
      agentLog.error(`run ended: ${record.status}`, { err: error });
      return record;
    }
  }

  async function takeSnapshot(moment: keyof RunSnapshots, run: RunRecord): Promise<void> {
    if (!options.snapshots) return;
    try {
      await options.snapshots[moment](run.threadId, run.runId);
    } catch (error) {
      agentLog.warn(`workspace snapshot failed (${moment}); the run goes on without it`, {
        err: error,
      });
    }
  }

  /**
   * Runs the graph, storing what it streams as the run's events: once, in every stream mode of
   * the API, whatever modes the run's clients ask for (each client's stream is cut from them).
   */
  async function streamRun(
    run: RunRecord,
    input: ReturnType<typeof runInput>,
    runConfig: LangGraphRunnableConfig,
  ): Promise<void> {
    const stream = await graph.stream(input as Parameters<AgentGraph['stream']>[0], {
      ...runConfig,
      ...(breakpoints(run.control) as object),
      streamMode: [...RECORDED_MODES],
    });
    const record = streamRecorder(run, (event, data) => events.append(run.runId, event, data));
    for await (const [mode, chunk] of stream) {
      if (stopping.signal.aborted) break;
      record(mode, chunk);
    }
    if (stopping.signal.aborted) throw stopping.signal.reason;
  }

  /** Records how a run ended and closes its event stream. */
  function finish(runId: string, outcome: Parameters<RunsStore['finish']>[1]): RunRecord {
    const record = store.finish(runId, outcome);
    if (record.status === 'error' || record.status === 'timeout') {
      events.append(runId, 'error', {
        error: record.error?.code ?? record.status,
        message: record.error?.message ?? record.status,
      });
    }
    events.append(runId, 'end', null);
    timeouts.watch(record);
    options.onRunEnd?.(record);
    return record;
  }

  function assertOpen(): void {
    if (closed) throw new AtolyeError('EXECUTOR_CLOSED', 'the run executor is closed');
  }

  return {
    startRun(threadId, task, runOptions = {}) {
      assertOpen();
      if (threadId === '' || task.trim() === '') {
        throw new AtolyeError('RUN_INVALID', 'a run needs a thread id and a non-empty task');
      }
      const active = store.activeRunsOf(threadId);
      if (active.length > 0 && runOptions.multitaskStrategy === 'reject') {
        throw new AtolyeError(
          'THREAD_BUSY',
          `thread ${threadId} is busy with run ${active[0]?.runId}; wait for it, cancel it, or send multitask_strategy "enqueue"`,
        );
      }
      const run = store.createRun(randomUUID(), threadId, task, runOptions);
      enqueue(run, 'fresh');
      return run.runId;
    },

    timeline: threadTimeline(graph),

    async threadState(threadId) {
      return toThreadState(await graph.getState({ configurable: { thread_id: threadId } }));
    },

    async waitFor(runId) {
      const pending = runs.get(runId);
      if (pending) return pending;
      const run = closed ? undefined : store.get(runId);
      if (!run) throw new AtolyeError('RUN_NOT_FOUND', `no run ${runId} in this executor`);
      return run;
    },

    cancel(runId) {
      assertOpen();
      const run = store.get(runId);
      if (!run || (run.status !== 'pending' && run.status !== 'running')) return false;
      cancelled.add(runId);
      store.requestCancel(runId);
      return true;
    },

    async resumeUnfinished() {
      assertOpen();
      const unfinished = store.unfinished().filter((run) => !runs.has(run.runId));
      for (const run of unfinished) enqueue(run, run.status === 'running' ? 'resume' : 'fresh');
      for (const paused of store.awaitingApproval()) timeouts.watch(paused);
      return unfinished.length;
    },

    getRun(runId) {
      return store.get(runId);
    },

    async close() {
      if (closed) return;
      closed = true;
      timeouts.close();
      stopping.abort(new AtolyeError('EXECUTOR_CLOSED', 'the run executor is closing'));
      await Promise.allSettled([...runs.values()]);
      detach.abort();
      if (ownStore) store.close();
      await checkpointer.close();
    },

    async deleteThread(threadId) {
      await checkpointer.deleteThread(threadId);
    },

    async copyThread(from, to) {
      await copyThreadCheckpoints(checkpointer, from, to);
    },
  };
}

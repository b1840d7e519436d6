import { randomUUID } from 'node:crypto';
import os from 'node:os';
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
import { log, withLogContext } from '../logging/index.js';
import { createHostPool, hostUrls } from '../runtime/host-pool.js';
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
import { RunDispatcher } from './run-dispatch.js';
import { RunLeases } from './run-leases.js';
import { startingPoint, type StartDeps } from './run-start.js';
import { RunsStore, runsFile, type RunRecord } from './runs-store.js';
import { mapAgentStatus } from './status.js';
import { stepClient } from './step-client.js';
import { declaredRetries, logRunEnd, stepCallLogger, stepFailureLogger } from './step-retries.js';
import { RECORDED_MODES, recordStream } from './stream-recorder.js';
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
  const store = options.store ?? RunsStore.inFile(runsFile(options.dataDir));
  const events = options.events ?? { append: () => Promise.resolve() };
  const agentLog = (options.logging ?? { log }).log('agent');
  const systemLog = (options.logging ?? { log }).log('system');
  const checkpointer = new DeferredCheckpointSaver({
    url: config.storage.url,
    dataDir: options.dataDir,
    poolSize: config.storage.poolSize,
    onIdleError: (message) => systemLog.warn(message),
  });
  const maxIterations = limits.maxIterations ?? DEFAULT_MAX_ITERATIONS;

  /** Aborted by close(): every graph invocation stops at once and writes nothing more. */
  const stopping = new AbortController();
  /** Aborted after the graphs have stopped: the HTTP calls still in flight are dropped. */
  const detach = new AbortController();
  const never = new Promise<never>(() => undefined);

  const hosts = createHostPool({
    baseUrls: hostUrls(options.hostUrl),
    secret: options.signingSecret,
  });
  const client = stepClient({
    invoke: hosts.invoke,
    timeoutMs:
      limits.stepTimeoutMs ?? 2 * Math.max(config.model.timeoutMs, config.sandbox.timeoutMs),
    signal: detach.signal,
    onCall: stepCallLogger(agentLog, options.onStep, () => detach.signal.aborted),
  });
  // A step that returns after close() (or after its run went to another orchestrator) must not
  // reach the graph, or its result (or the abort error) would be checkpointed as the step's
  // outcome instead of being run again on resume.
  const leftHere = (runId: string): boolean =>
    stopping.signal.aborted || dispatcher.stopOf(runId)?.aborted === true;
  const callStep: CallStep = async (name, input, call) => {
    try {
      const output = await client(name, input, call);
      if (leftHere(call.runId)) return await never;
      return output;
    } catch (error) {
      if (leftHere(call.runId)) return await never;
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
    isCancelled: async (_threadId, runId) =>
      cancelled.has(runId) || (await store.get(runId))?.cancelRequested === true,
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
    start: () => dispatcher.kick(),
  });

  const dispatcher = new RunDispatcher({
    leases: new RunLeases(
      store.database,
      `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      config.orchestrator.leaseMs,
    ),
    store,
    pollMs: config.orchestrator.pollMs,
    execute: (runId, leaseLost) => execute(runId, leaseLost),
    log: systemLog,
  });
  let closed = false;

  /** A run this orchestrator has taken: started afresh, or resumed when it was running already. */
  async function execute(runId: string, leaseLost: AbortSignal): Promise<RunRecord> {
    const run = (await store.get(runId)) as RunRecord;
    if (stopping.signal.aborted) return run;
    if (run.status !== 'pending' && run.status !== 'running') return run;
    if (run.cancelRequested) {
      return finish(runId, { status: 'interrupted', stopReason: 'cancelled' });
    }
    const start: Start = run.status === 'running' ? 'resume' : 'fresh';
    return withLogContext({ threadId: run.threadId, runId }, () => drive(run, start, leaseLost));
  }

  async function drive(run: RunRecord, start: Start, leaseLost: AbortSignal): Promise<RunRecord> {
    // LangGraph adds an abort listener to the signal it is given and never removes it. One signal
    // per run, linked to `stopping` only while the run lasts, keeps runs from piling them up there.
    const runStop = new AbortController();
    const forward = (): void => runStop.abort(stopping.signal.reason);
    stopping.signal.addEventListener('abort', forward, { once: true });
    const lost = (): void => runStop.abort(leaseLost.reason);
    leaseLost.addEventListener('abort', lost, { once: true });
    try {
      return await driveRun(run, start, runStop.signal);
    } finally {
      stopping.signal.removeEventListener('abort', forward);
      leaseLost.removeEventListener('abort', lost);
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
        await store.markRunning(run.runId, offset, latest);
        await events.append(run.runId, 'metadata', { run_id: run.runId, thread_id: run.threadId });
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
        const record = await finish(run.runId, {
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
      const record = await finish(run.runId, {
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
      logRunEnd(agentLog, record);
      return record;
    } catch (error) {
      if (stop.aborted) {
        agentLog.info(
          stopping.signal.aborted
            ? 'run left running: the orchestrator is stopping'
            : 'run left to the orchestrator that took it over',
        );
        return (await store.get(run.runId)) as RunRecord;
      }
      const timedOut = deadline?.aborted === true;
      await takeSnapshot('runEnded', run);
      const record = await finish(run.runId, {
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
      // A deadline's abort says nothing the code does not: the run's end is the event.
      logRunEnd(agentLog, record, timedOut ? undefined : error);
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
    const append = (event: string, data: unknown) => events.append(run.runId, event, data);
    await recordStream(stream, run, append, runConfig.signal as AbortSignal);
  }

  /** Records how a run ended and closes its event stream. */
  async function finish(
    runId: string,
    outcome: Parameters<RunsStore['finish']>[1],
  ): Promise<RunRecord> {
    const record = await store.finish(runId, outcome);
    if (record.status === 'error' || record.status === 'timeout') {
      await events.append(runId, 'error', {
        error: record.error?.code ?? record.status,
        message: record.error?.message ?? record.status,
      });
    }
    await events.append(runId, 'end', null);
    timeouts.watch(record);
    options.onRunEnd?.(record);
    return record;
  }

  function assertOpen(): void {
    if (closed) throw new AtolyeError('EXECUTOR_CLOSED', 'the run executor is closed');
  }

  return {
    async startRun(threadId, task, runOptions = {}) {
      assertOpen();
      if (threadId === '' || task.trim() === '') {
        throw new AtolyeError('RUN_INVALID', 'a run needs a thread id and a non-empty task');
      }
      const run = await store.createRun(randomUUID(), threadId, task, runOptions, {
        idle: runOptions.multitaskStrategy === 'reject',
      });
      dispatcher.kick();
      return run.runId;
    },

    timeline: threadTimeline(graph),

    async threadState(threadId) {
      return toThreadState(await graph.getState({ configurable: { thread_id: threadId } }));
    },

    async waitFor(runId) {
      if (closed) throw new AtolyeError('RUN_NOT_FOUND', `no run ${runId} in this executor`);
      return dispatcher.waitFor(runId);
    },

    async cancel(runId) {
      assertOpen();
      const run = await store.get(runId);
      if (!run || (run.status !== 'pending' && run.status !== 'running')) return false;
      cancelled.add(runId);
      await store.requestCancel(runId);
      return true;
    },

    async resumeUnfinished() {
      assertOpen();
      // One orchestrator per SQLite file: what it left running is its own to take up at once.
      if (store.database.kind === 'sqlite') await dispatcher.releaseEvery();
      for (const paused of await store.awaitingApproval()) timeouts.watch(paused);
      return dispatcher.sweep();
    },

    getRun(runId) {
      return store.get(runId);
    },

    async close() {
      if (closed) return;
      closed = true;
      timeouts.close();
      stopping.abort(new AtolyeError('EXECUTOR_CLOSED', 'the run executor is closing'));
      await dispatcher.close();
      detach.abort();
      hosts.close();
      if (ownStore) await store.close();
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

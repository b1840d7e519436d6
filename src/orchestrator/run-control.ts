import { Command, type LangGraphRunnableConfig, type StateSnapshot } from '@langchain/langgraph';
import {
  approvalKeyFrom,
  compileRiskRules,
  heldCalls,
  signApproval,
} from '../agent/approval/index.js';
import type { AgentStateValue, ApprovalGate, StepUsage } from '../agent/graph/index.js';
import type { AtolyeConfig } from '../config/index.js';
import { resolveFromRoot } from '../config/paths.js';
import { gitWorkspace, inBaseline } from '../workspace/git.js';
import type { ChannelLogger } from '../logging/index.js';
import type { RunSnapshots, ThreadState } from './executor-types.js';
import type { RunControl, RunInterrupt, RunRecord } from './runs-store.js';

/**
 * What a run's control (approval policy, static interrupts, a resume answer, a fork point) means
 * for the graph: the input it is invoked with, the options it streams with, and how a pause reads.
 */

/** The approval gate of the graph: the configured rules, the thread's baseline, the signing key. */
export function approvalGate(config: AtolyeConfig, signingSecret: string): ApprovalGate {
  const rules = compileRiskRules(config.agent);
  const key = approvalKeyFrom(signingSecret);
  const root = resolveFromRoot(config.workspace.root);
  return {
    defaultPolicy: config.agent.approval,
    held: (calls, policy, threadId) =>
      heldCalls(calls, policy, rules, {
        inBaseline: (file) => inBaseline(gitWorkspace(root, threadId), file),
      }),
    sign: (threadId, call) => signApproval(key, threadId, call),
  };
}

/** The graph config of a run: its ids and what it chose (approval, model, limits). */
export function runConfigOf(run: RunRecord, maxIterations: number): LangGraphRunnableConfig {
  const { approval, model, limits } = run.control;
  return {
    configurable: {
      thread_id: run.threadId,
      run_id: run.runId,
      ...(approval === undefined ? {} : { approval }),
      ...(model === undefined ? {} : { model }),
      ...(limits === undefined ? {} : { limits }),
    },
    // Each iteration is `act` plus `tools` or `review`; plan and finalize come on top.
    recursionLimit: 3 * (limits?.maxIterations ?? maxIterations) + 10,
  };
}

/** The graph input of a run that starts (not one picked up after a restart). */
export function runInput(run: RunRecord): { task: string } | Command | null {
  const { control } = run;
  if (control.resume !== undefined) return new Command({ resume: control.resume });
  if (control.continue === true) return null;
  return { task: run.task };
}

/** The breakpoints every stream of the run uses, a restart's included. */
export function breakpoints(control: RunControl): {
  interruptBefore?: string[];
  interruptAfter?: string[];
} {
  return {
    ...(control.interruptBefore ? { interruptBefore: control.interruptBefore } : {}),
    ...(control.interruptAfter ? { interruptAfter: control.interruptAfter } : {}),
  };
}

export const PAUSE_REASONS = ['approval', 'interrupt_before', 'interrupt_after'] as const;

/**
 * Whether a thread whose last run is `last` is paused: waiting for an answer or a go-on. A run cut
 * off otherwise (a timeout, an error, a cancel) leaves steps undone too, but a new task simply
 * starts over from plan.
 */
export function isPaused(last: RunRecord | undefined): boolean {
  return (
    last?.status === 'interrupted' &&
    (PAUSE_REASONS as readonly (string | null)[]).includes(last.stopReason)
  );
}

/** Where a paused thread stands: which steps wait and what they wait for; undefined if not paused. */
export interface Pause {
  next: string[];
  interrupts: RunInterrupt[];
  /** approval (an interrupt asked a person), interrupt_before or interrupt_after (a breakpoint). */
  reason: (typeof PAUSE_REASONS)[number];
}

export function pauseOf(snapshot: StateSnapshot, control: RunControl): Pause | undefined {
  if (snapshot.next.length === 0) return undefined;
  const interrupts = snapshot.tasks.flatMap(interruptsOf);
  const next = [...snapshot.next];
  let reason: Pause['reason'] = 'interrupt_after';
  if (interrupts.length > 0) reason = 'approval';
  else if (next.some((node) => control.interruptBefore?.includes(node)))
    reason = 'interrupt_before';
  return { next, interrupts, reason };
}

/** What the `run started` line says of a run's control, beside its task. */
export function controlFields(control: RunControl): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (control.approval !== undefined) fields.approval = control.approval;
  if (control.interruptBefore) fields.interruptBefore = control.interruptBefore;
  if (control.interruptAfter) fields.interruptAfter = control.interruptAfter;
  if (control.resume !== undefined) fields.resumed = true;
  if (control.continue === true) fields.continued = true;
  if (control.checkpointId !== undefined) fields.forkedFrom = control.checkpointId;
  return fields;
}

/** A task's interrupts as the API shows them: the value, and LangGraph's id when it gives one. */
export function interruptsOf(task: StateSnapshot['tasks'][number]): RunInterrupt[] {
  return (task.interrupts ?? []).map((interrupt) => ({
    value: interrupt.value,
    ...(typeof interrupt.id === 'string' ? { id: interrupt.id } : {}),
  }));
}

/** A checkpoint as the thread routes show it; undefined for a thread without one. */
export function toThreadState(snapshot: StateSnapshot): ThreadState | undefined {
  const checkpointId = checkpointIdOf(snapshot.config);
  if (checkpointId === null) return undefined;
  return {
    values: snapshot.values as Partial<AgentStateValue>,
    next: [...snapshot.next],
    checkpointId,
    parentCheckpointId: snapshot.parentConfig ? checkpointIdOf(snapshot.parentConfig) : null,
    createdAt: snapshot.createdAt ?? null,
    metadata: { ...snapshot.metadata },
    tasks: snapshot.tasks.map((task) => ({
      id: task.id,
      name: task.name,
      interrupts: interruptsOf(task),
    })),
  };
}

export function checkpointIdOf(config: LangGraphRunnableConfig): string | null {
  const id: unknown = config.configurable?.checkpoint_id;
  return typeof id === 'string' ? id : null;
}

export function sumUsage(steps: readonly StepUsage[]): StepUsage {
  const total = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const step of steps) {
    total.inputTokens += step.inputTokens;
    total.outputTokens += step.outputTokens;
    total.costUsd += step.costUsd;
  }
  return total;
}

/** Records the workspace after each step; a failure is logged and the step goes on without it. */
export function workspaceRecorder(
  snapshots: RunSnapshots | undefined,
  log: Pick<ChannelLogger, 'warn'>,
): ((threadId: string) => Promise<string | undefined>) | undefined {
  if (snapshots === undefined) return undefined;
  return async (threadId) => {
    try {
      return await snapshots.record(threadId);
    } catch (error) {
      log.warn('the workspace was not recorded; a fork from this step keeps the files', {
        err: error,
      });
      return undefined;
    }
  };
}

import { Annotation } from '@langchain/langgraph';
import type {
  CommandRecord,
  CondensedHistory,
  Plan,
  RunError,
  RunStatus,
  StepName,
  StepUsage,
  StoredMessageJson,
  ToolCall,
} from './steps.js';

/**
 * The run state as checkpointed after every step. Values are plain JSON (messages as stored-message
 * JSON), so a checkpoint written by one orchestrator process is read by another without revival.
 */

export interface UsageEntry extends StepUsage {
  step: StepName;
}

export interface Usage {
  steps: UsageEntry[];
  totals: StepUsage;
}

/** The condensed part of the history: `messages` before `keepFrom` reach the model as the summary. */
export interface CondensedState extends CondensedHistory {
  keepFrom: number;
}

/** How many fingerprints to keep: stuck detection only looks at the most recent ones. */
export const FINGERPRINT_HISTORY = 10;

const EMPTY_USAGE: Usage = { steps: [], totals: { inputTokens: 0, outputTokens: 0, costUsd: 0 } };

function lastValue<T>(initial: () => T) {
  return Annotation<T>({ reducer: (_current, update) => update, default: initial });
}

function appended<T>() {
  return Annotation<T[], T[]>({
    reducer: (current, update) => current.concat(update),
    default: () => [],
  });
}

/** Keeps first-seen order, drops repeats: a file edited five times is one changed file. */
export function unionOf(current: string[], update: string[]): string[] {
  const seen = new Set(current);
  const merged = [...current];
  for (const item of update) {
    if (!seen.has(item)) {
      seen.add(item);
      merged.push(item);
    }
  }
  return merged;
}

export function addUsage(current: Usage, update: UsageEntry[]): Usage {
  const totals = { ...current.totals };
  for (const entry of update) {
    totals.inputTokens += entry.inputTokens;
    totals.outputTokens += entry.outputTokens;
    totals.costUsd += entry.costUsd;
  }
  return { steps: current.steps.concat(update), totals };
}

export const AgentState = Annotation.Root({
  task: lastValue<string>(() => ''),
  /** Named apart from the `plan` node: LangGraph refuses a node and a channel with one name. */
  taskPlan: lastValue<Plan | null>(() => null),
  messages: appended<StoredMessageJson>(),
  /**
   * Set once `act` condensed the history. A value beside `messages` rather than a reducer that
   * drops them: `messages` stays the whole append-only transcript (thread history, forks, the
   * final summary read it), a step's update stays a plain JSON value that a resumed or retried
   * step writes again unchanged, and the model steps are sent `messages.slice(keepFrom)` only.
   */
  condensed: lastValue<CondensedState | null>(() => null),
  /** Input tokens the model reported for the thread's latest `act` call: what `act` condenses by. */
  contextTokens: lastValue<number>(() => 0),
  /** Number of `act` calls so far in this run. */
  iteration: lastValue<number>(() => 0),
  /** Tool calls of the last `act`, waiting for `tools`. */
  pendingToolCalls: lastValue<ToolCall[]>(() => []),
  filesChanged: Annotation<string[], string[]>({ reducer: unionOf, default: () => [] }),
  commandResults: appended<CommandRecord>(),
  usage: Annotation<Usage, UsageEntry[]>({ reducer: addUsage, default: () => EMPTY_USAGE }),
  status: lastValue<RunStatus>(() => 'running'),
  error: lastValue<RunError | null>(() => null),
  /** From the last review that sent the run back to `act`. */
  feedback: lastValue<string | null>(() => null),
  /** `git diff --stat` against the baseline after the last `tools` step; null before any. */
  workspaceChanges: lastValue<string | null>(() => null),
  summary: lastValue<string | null>(() => null),
  /**
   * The workspace after the step that wrote this checkpoint, as a commit of the thread's timeline
   * (null before any, or without a recorder): a fork from the checkpoint brings the files back.
   */
  workspaceCommit: lastValue<string | null>(() => null),
  /**
   * One fingerprint per `tools` step: its calls and their results. `null` empties it: a new run on
   * the thread must not be judged stuck by the calls of an earlier one.
   */
  toolFingerprints: Annotation<string[], string[] | null>({
    reducer: (current, update) =>
      update === null ? [] : current.concat(update).slice(-FINGERPRINT_HISTORY),
    default: () => [],
  }),
});

export type AgentStateValue = typeof AgentState.State;
export type AgentStateUpdate = typeof AgentState.Update;

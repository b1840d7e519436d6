import {
  isWeaker,
  unknownEdits,
  type ApprovalPolicy,
  type ApprovalRequest,
} from '../../agent/approval/index.js';
import { AtolyeError } from '../../errors.js';
import type { ThreadState } from '../executor.js';
import { isPaused } from '../run-control.js';
import type { RunControl, RunRecord } from '../runs-store.js';
import type { AssistantRecord } from '../assistants-store.js';
import { BUILT_IN_ASSISTANT } from './assistant-catalog.js';
import { NODE_NAMES, type RunConfigurable, type RunCreate } from './schemas.js';

/**
 * What a run request asks of the graph, checked against where its thread stands: a new task, an
 * answer to a pause for approval (`command.resume`), or going on from a breakpoint (input null).
 * Every mismatch is a 4xx that says what to send instead.
 */

export interface RunRequest {
  /** The run's task: the request's, or the paused thread's for a resume. */
  task: string;
  control: RunControl;
}

export interface RunContext {
  state: ThreadState | undefined;
  /** The assistant the run names: a variant's settings come before the run's own. */
  assistant: AssistantRecord;
  /** The server's `agent.approval`: a run may ask for more, never less. */
  configured: ApprovalPolicy;
  /** The thread's last run: whether it paused, and the policy an answer goes on under. */
  last: RunRecord | undefined;
  /** The checkpoint a fork runs from (`state` is then that checkpoint's). */
  fork?: string;
}

export function runRequest(threadId: string, body: RunCreate, context: RunContext): RunRequest {
  const { state, assistant, configured, last, fork } = context;
  // An answer or a go-on continues the paused run: its policy, model and limits carry over
  // unless this request sets them again.
  const resuming = body.command !== undefined || !body.input;
  const carried = resuming && last ? settingsOf(last.control) : {};
  const builtIn = assistant.configurable === BUILT_IN_ASSISTANT.configurable;
  const settings: RunConfigurable = {
    ...carried,
    ...(assistant.configurable as RunConfigurable),
    ...body.config?.configurable,
  };
  const assistantId = builtIn
    ? resuming
      ? last?.control.assistantId
      : undefined
    : assistant.assistantId;
  const approval = settings.approval;
  if (approval !== undefined && isWeaker(approval, configured)) {
    throw new AtolyeError(
      'RUN_INVALID',
      `config.configurable.approval "${approval}" is weaker than this server's agent.approval "${configured}"; a run may only ask for more approval`,
    );
  }
  const control: RunControl = {
    ...(approval === undefined ? {} : { approval }),
    ...(settings.model === undefined ? {} : { model: settings.model }),
    ...limitsOf(settings),
    ...(assistantId === undefined ? {} : { assistantId }),
    ...breakpointsOf(body),
    ...(fork === undefined ? {} : { checkpointId: fork }),
  };
  // A fork goes on from its checkpoint as it stands; so does a thread a person's update left
  // with steps to take. Otherwise only a run that paused leaves the thread paused.
  const updated = state?.metadata.source === 'update';
  const paused = fork !== undefined || updated ? (state?.next.length ?? 0) > 0 : isPaused(last);
  const held = heldOf(state);
  const threadTask = typeof state?.values.task === 'string' ? state.values.task : '';

  if (body.command !== undefined) {
    if (body.input) {
      throw new AtolyeError('RUN_INVALID', 'send either input or command, not both');
    }
    if (!paused) {
      throw new AtolyeError(
        'THREAD_NOT_INTERRUPTED',
        `thread ${threadId} is not paused: there is nothing to resume; send input.task to start a task`,
      );
    }
    const unknown = unknownEdits(held, body.command.resume);
    if (unknown.length > 0) {
      throw new AtolyeError(
        'RUN_INVALID',
        `command.resume.edits names no held call: ${unknown.join(', ')}; the held calls are ${held.map((call) => call.id).join(', ') || 'none'}`,
      );
    }
    return { task: threadTask, control: { ...control, resume: body.command.resume } };
  }
  if (!body.input) {
    if (!paused) {
      throw new AtolyeError(
        'RUN_INVALID',
        'input.task is required: the thread is not paused, so there is nothing to continue',
      );
    }
    if (held.length > 0) {
      throw new AtolyeError(
        'THREAD_INTERRUPTED',
        `thread ${threadId} waits for approval of ${held.length} tool call(s); answer with command.resume {"approved": true} or {"approved": false, "reason": "…"}`,
      );
    }
    return { task: threadTask, control: { ...control, continue: true } };
  }
  if (paused && fork !== undefined && (state?.values.pendingToolCalls?.length ?? 0) > 0) {
    throw new AtolyeError(
      'RUN_INVALID',
      `checkpoint ${fork} is about to run tool calls: fork from it with input null (or command.resume), or from an earlier checkpoint for a new task`,
    );
  }
  if (paused && fork === undefined) {
    throw new AtolyeError(
      'THREAD_INTERRUPTED',
      held.length > 0
        ? `thread ${threadId} waits for approval of ${held.length} tool call(s); answer with command.resume before a new task`
        : `thread ${threadId} is paused before ${state?.next.join(', ')}; continue it with input null before a new task`,
    );
  }
  return { task: body.input.task, control };
}

/** A run's settings as `config.configurable` names them. */
function settingsOf(control: RunControl): RunConfigurable {
  const { approval, model, limits = {} } = control;
  return {
    ...(approval === undefined ? {} : { approval }),
    ...(model === undefined ? {} : { model }),
    ...(limits.maxIterations === undefined ? {} : { max_iterations: limits.maxIterations }),
    ...(limits.maxTokens === undefined ? {} : { max_tokens: limits.maxTokens }),
    ...(limits.maxCostUsd === undefined ? {} : { max_cost_usd: limits.maxCostUsd }),
  };
}

function limitsOf(settings: RunConfigurable): Pick<RunControl, 'limits'> {
  const limits = {
    ...(settings.max_iterations === undefined ? {} : { maxIterations: settings.max_iterations }),
    ...(settings.max_tokens === undefined ? {} : { maxTokens: settings.max_tokens }),
    ...(settings.max_cost_usd === undefined ? {} : { maxCostUsd: settings.max_cost_usd }),
  };
  return Object.keys(limits).length === 0 ? {} : { limits };
}

function breakpointsOf(body: RunCreate): Pick<RunControl, 'interruptBefore' | 'interruptAfter'> {
  const nodes = (asked: RunCreate['interrupt_before']): string[] | undefined =>
    asked === undefined ? undefined : asked === '*' ? [...NODE_NAMES] : [...asked];
  const before = nodes(body.interrupt_before);
  const after = nodes(body.interrupt_after);
  return {
    ...(before && before.length > 0 ? { interruptBefore: before } : {}),
    ...(after && after.length > 0 ? { interruptAfter: after } : {}),
  };
}

/** The tool calls a paused thread waits to have approved. */
function heldOf(state: ThreadState | undefined): ApprovalRequest['tool_calls'] {
  return (state?.tasks ?? []).flatMap((task) =>
    task.interrupts.flatMap(
      (interrupt) => (interrupt.value as Partial<ApprovalRequest>).tool_calls ?? [],
    ),
  );
}

import { getJson, messageOf, sdk } from './api.js';
import { rememberedImport } from './code-import.js';
import { drawDiffPending, drawRunDiff } from './diff-view.js';
import { errorBox, h, show } from './dom.js';
import {
  drawChangedFiles,
  drawCommands,
  drawHeader,
  drawPlan,
  drawTimeline,
  drawTurns,
  failureBox,
  type Ended,
} from './run-render.js';
import { drawPause } from './pause.js';
import { addCall, addUpdate, type TimelineEntry } from './timeline.js';
import type { ApiRun, Page, RunState } from './types.js';

const STEP_LINE = /^step (\S+) (finished|failed)$/;
/** LangGraph's key for a pause in the stream's values and updates: not a step, not the state. */
const INTERRUPT = '__interrupt__';

/**
 * One run, live: the SDK's joinStream replays the run's events from the first and follows new
 * ones, so the same view serves a running and a finished run.
 */
export const renderRun: Page = (view, [threadId = '', runId = '']) => {
  const header = h('section', { class: 'card', id: 'run-header' }, 'Loading the run…');
  // What a paused run waits for (approval, or a go-on from a breakpoint); hidden otherwise.
  const pause = h('section', { class: 'card pause', id: 'pause', hidden: true });
  const problem = h('div', { class: 'problem' });
  const plan = h('section', { class: 'card', id: 'plan' });
  const timeline = h('section', { class: 'card', id: 'timeline' });
  const turns = h('section', { class: 'card', id: 'turns' });
  const commands = h('section', { class: 'card', id: 'commands' });
  const files = h('section', { class: 'card', id: 'changed-files' });
  const diff = h('section', { class: 'card', id: 'diff' });
  show(view, header);

  const stop = new AbortController();
  const client = sdk();
  const entries: TimelineEntry[] = [];
  const imported = rememberedImport(threadId);
  let state: RunState = {};

  /** The sections from the latest state; once `ended`, what the run had rather than "yet". */
  const drawState = (ended?: Ended): void => {
    drawPlan(plan, state.taskPlan, ended);
    drawTurns(turns, state.messages, ended);
    drawCommands(commands, state.commandResults, ended);
    drawChangedFiles(files, threadId, state.filesChanged, ended);
  };

  const follow = async (): Promise<void> => {
    let started: ApiRun;
    try {
      started = (await client.runs.get(threadId, runId)) as unknown as ApiRun;
    } catch (error) {
      // No such run (or not this key's): nothing to follow, and no sections to offer.
      if (!stop.signal.aborted) {
        show(header, h('h1', {}, 'Run'), errorBox('Cannot open this run:', messageOf(error)));
      }
      return;
    }
    drawHeader(header, started, imported);
    show(
      view,
      header,
      pause,
      problem,
      diff,
      h(
        'div',
        { class: 'columns' },
        h('div', {}, plan, timeline, files),
        h('div', {}, turns, commands),
      ),
    );
    drawState();
    drawTimeline(timeline, entries);
    drawDiffPending(diff);

    let mark = performance.now();
    const stream = client.runs.joinStream(threadId, runId, {
      signal: stop.signal,
      streamMode: ['values', 'updates'],
    });
    for await (const { event, data } of stream) {
      if (event === 'metadata' && started.status === 'pending') {
        drawHeader(header, { ...started, status: 'running' }, imported);
      } else if (event === 'values') {
        // A pause arrives as a values event holding only the interrupt: the state is the last one.
        if (INTERRUPT in (data as object)) continue;
        state = data as RunState;
        drawState();
        if (state.error) show(problem, failureBox(state.error));
      } else if (event === 'updates') {
        // Live durations are the gaps between updates; the agent log's exact ones replace them below.
        const now = performance.now();
        for (const node of Object.keys(data as object)) {
          if (node !== INTERRUPT) addUpdate(entries, node, now - mark);
        }
        mark = now;
        drawTimeline(timeline, entries);
      } else if (event === 'error') {
        const { error, message } = data as { error?: string; message?: string };
        show(
          problem,
          failureBox({ code: error ?? 'RUN_FAILED', message: message ?? 'no message' }),
        );
      }
    }
    const ended = (await client.runs.get(threadId, runId)) as unknown as ApiRun;
    drawHeader(header, ended, imported);
    // The header now shows the run's error; the stream's copy of it would say the same twice.
    if (ended.error) show(problem);
    drawState(ended);
    drawTimeline(timeline, entries, ended);
    drawPause(pause, ended, stop.signal).catch((error: unknown) => {
      if (stop.signal.aborted) return;
      pause.hidden = false;
      show(pause, errorBox('Cannot show what this run waits for:', messageOf(error)));
    });
    drawRunDiff(diff, threadId, runId).catch((error: unknown) =>
      show(diff, h('h2', {}, 'Changes'), errorBox('Cannot show the changes:', messageOf(error))),
    );
    const logged = await loggedSteps(runId);
    if (logged.length > 0) drawTimeline(timeline, logged, ended, 'log');
  };
  follow().catch((error: unknown) => {
    if (!stop.signal.aborted) show(problem, errorBox('The run view stopped:', messageOf(error)));
  });
  return () => stop.abort();
};

/** The run's steps as the orchestrator logged them, each call with how long it took. */
async function loggedSteps(runId: string): Promise<TimelineEntry[]> {
  const { lines } = await getJson<{ lines: Record<string, unknown>[] }>(
    `/dashboard/api/logs/agent?run_id=${encodeURIComponent(runId)}&limit=1000`,
  );
  const entries: TimelineEntry[] = [];
  for (const line of lines) {
    const match = STEP_LINE.exec(String(line.msg));
    if (!match || typeof line.durationMs !== 'number') continue;
    addCall(entries, {
      step: match[1] ?? '',
      durationMs: line.durationMs,
      ok: match[2] === 'finished',
      attempt: typeof line.attempt === 'number' ? line.attempt : 1,
      code: typeof line.code === 'string' ? line.code : undefined,
    });
  }
  return entries;
}

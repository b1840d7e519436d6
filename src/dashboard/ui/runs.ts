import { messageOf, sdk } from './api.js';
import { plural } from '../../client/approval.js';
import { errorBox, h, route, shortId, show, statusBadge, when } from './dom.js';
import { ACTIVE_STATUSES, PAUSE_REASONS, type ApiRun, type Page } from './types.js';

const THREADS = 20;
const RUNS_PER_THREAD = 10;
const REFRESH_MS = 3_000;

/** Recent runs of the most recently active threads, newest first; refreshed while any is active. */
export const renderRuns: Page = (view) => {
  const table = h('div', { class: 'card' }, 'Loading runs…');
  const waiting = h('section', { class: 'card pause', id: 'waiting', hidden: true });
  show(
    view,
    h(
      'div',
      { class: 'heading' },
      h('h1', {}, 'Runs'),
      h('a', { class: 'button', href: route('new') }, 'New task'),
    ),
    waiting,
    table,
  );
  let timer: number | undefined;
  let stopped = false;
  const load = async (): Promise<void> => {
    try {
      const runs = await recentRuns();
      if (stopped) return;
      const paused = runs.filter(waitsFor);
      waiting.hidden = paused.length === 0;
      show(
        waiting,
        h('h2', {}, 'Waiting for you'),
        h(
          'ul',
          {},
          ...paused.map((run) =>
            h(
              'li',
              { 'data-run-id': run.run_id },
              h('a', { href: route('run', run.thread_id, run.run_id) }, taskOf(run)),
              ` — ${pauseLabel(run)}`,
            ),
          ),
        ),
      );
      show(table, runs.length === 0 ? h('p', {}, 'No runs yet.') : runTable(runs));
      if (runs.some((run) => ACTIVE_STATUSES.has(run.status))) {
        timer = window.setTimeout(() => void load(), REFRESH_MS);
      }
    } catch (error) {
      if (!stopped) show(table, errorBox('Cannot list runs:', messageOf(error)));
    }
  };
  void load();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
};

/** A run the list shows; `latest` when it is its thread's newest (only that one can wait). */
type ListedRun = ApiRun & { latest: boolean };

async function recentRuns(): Promise<ListedRun[]> {
  const client = sdk();
  const threads = await client.threads.search({ limit: THREADS });
  const lists = (await Promise.all(
    threads.map((thread) => client.runs.list(thread.thread_id, { limit: RUNS_PER_THREAD })),
  )) as unknown as ApiRun[][];
  // Each thread's list is newest first.
  return lists
    .flatMap((list) => list.map((run, index) => ({ ...run, latest: index === 0 })))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** Whether the run holds its thread until a person answers (approves, rejects, continues). */
function waitsFor(run: ListedRun): boolean {
  return run.latest && run.status === 'interrupted' && PAUSE_REASONS.has(run.stop_reason ?? '');
}

/** The status in words: a paused run waits for a person, or was answered and went on. */
export function statusLabel(run: ApiRun & { latest?: boolean }): string {
  if (run.status !== 'interrupted' || !PAUSE_REASONS.has(run.stop_reason ?? '')) return run.status;
  if (run.latest === false) return 'paused, answered';
  if (run.latest === undefined) return 'paused';
  return run.stop_reason === 'approval' ? 'waits for approval' : 'paused';
}

/** "2 tool calls to approve or reject", or "paused at a breakpoint". */
function pauseLabel(run: ApiRun): string {
  if (run.stop_reason !== 'approval') return 'paused at a breakpoint: continue it on its run page';
  const calls = (run.interrupts ?? []).flatMap((interrupt) => {
    const value = interrupt.value as { tool_calls?: unknown } | null;
    return Array.isArray(value?.tool_calls) ? value.tool_calls : [];
  });
  return `${plural(calls.length, 'tool call')} to approve or reject`;
}

function runTable(runs: ListedRun[]): HTMLElement {
  return h(
    'table',
    { class: 'runs' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Status'),
        h('th', {}, 'Task'),
        h('th', { class: 'thread' }, 'Thread'),
        h('th', { class: 'started' }, 'Started'),
        h('th', { class: 'cost' }, 'Cost'),
      ),
    ),
    h(
      'tbody',
      {},
      ...runs.map((run) =>
        h(
          'tr',
          { 'data-run-id': run.run_id },
          h('td', {}, statusBadge(run.status, statusLabel(run))),
          h(
            'td',
            { class: 'task' },
            h('a', { href: route('run', run.thread_id, run.run_id) }, taskOf(run)),
          ),
          h(
            'td',
            { class: 'thread' },
            h(
              'a',
              { class: 'id', href: route('files', run.thread_id), title: run.thread_id },
              shortId(run.thread_id),
            ),
          ),
          h('td', { class: 'started' }, when(run.created_at)),
          h('td', { class: 'cost' }, `$${run.usage.cost_usd.toFixed(4)}`),
        ),
      ),
    ),
  );
}

export function taskOf(run: ApiRun): string {
  return run.kwargs.input.task || '(no task)';
}

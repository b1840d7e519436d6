import type { Page } from '../main.js';
import { messageOf, sdk } from './api.js';
import { errorBox, h, route, shortId, show, statusBadge, when } from './dom.js';
import { ACTIVE_STATUSES, type ApiRun } from './types.js';

const THREADS = 20;
const RUNS_PER_THREAD = 10;
const REFRESH_MS = 3_000;

/** Recent runs of the most recently active threads, newest first; refreshed while any is active. */
export const renderRuns: Page = (view) => {
  const table = h('div', { class: 'card' }, 'Loading runs…');
  show(
    view,
    h(
      'div',
      { class: 'heading' },
      h('h1', {}, 'Runs'),
      h('a', { class: 'button', href: route('new') }, 'New task'),
    ),
    table,
  );
  let timer: number | undefined;
  let stopped = false;
  const load = async (): Promise<void> => {
    try {
      const runs = await recentRuns();
      if (stopped) return;
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

async function recentRuns(): Promise<ApiRun[]> {
  const client = sdk();
  const threads = await client.threads.search({ limit: THREADS });
  const lists = await Promise.all(
    threads.map((thread) => client.runs.list(thread.thread_id, { limit: RUNS_PER_THREAD })),
  );
  return (lists.flat() as unknown as ApiRun[]).sort((a, b) =>
    b.created_at.localeCompare(a.created_at),
  );
}

function runTable(runs: ApiRun[]): HTMLElement {
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
          h('td', {}, statusBadge(run.status)),
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

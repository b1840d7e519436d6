import type { Page } from '../main.js';
import { messageOf, sdk } from './api.js';
import { errorBox, h, route, shortId, show } from './dom.js';

const NEW_THREAD = '';

/** A task on a new thread, or a follow-up on an existing one (same workspace, earlier history). */
export const renderSubmit: Page = (view, _args, query) => {
  const task = h('textarea', {
    id: 'task',
    rows: 5,
    required: true,
    placeholder: 'write hello.py that prints hello',
  });
  const thread = h('select', { id: 'thread' }, h('option', { value: NEW_THREAD }, 'A new thread'));
  const problem = h('div', { class: 'problem' });
  const submit = h('button', { type: 'submit' }, 'Start run');
  const chosen = query.get('thread') ?? NEW_THREAD;

  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        show(problem);
        start(task.value.trim(), thread.value)
          .then(([threadId, runId]) => {
            location.hash = route('run', threadId, runId);
          })
          .catch((error: unknown) => {
            submit.disabled = false;
            show(problem, errorBox('The run was not started:', messageOf(error)));
          });
      },
    },
    h('label', { for: 'task' }, 'Task'),
    task,
    h('label', { for: 'thread' }, 'Thread'),
    thread,
    submit,
    problem,
  );
  show(view, h('h1', {}, 'New task'), form);

  let stopped = false;
  sdk()
    .threads.search({ limit: 50 })
    .then((threads) => {
      if (stopped) return;
      for (const { thread_id, updated_at } of threads) {
        const label = `${shortId(thread_id)} — last active ${new Date(updated_at).toLocaleString()}`;
        thread.append(h('option', { value: thread_id, selected: thread_id === chosen }, label));
      }
    })
    .catch((error: unknown) => {
      if (!stopped) show(problem, errorBox('Cannot list threads:', messageOf(error)));
    });
  return () => {
    stopped = true;
  };
};

async function start(task: string, threadId: string): Promise<[string, string]> {
  const client = sdk();
  const id = threadId === NEW_THREAD ? (await client.threads.create()).thread_id : threadId;
  // Queued behind a run still going on the thread rather than refused.
  const run = await client.runs.create(id, 'atolye', {
    input: { task },
    multitaskStrategy: 'enqueue',
  });
  return [id, run.run_id];
}

import type { CommandRecord, Plan } from '../../agent/graph/steps.js';
import { describeFailure } from '../../client/step-failure.js';
import { describeImport } from './code-import.js';
import {
  duration,
  errorBox,
  h,
  idText,
  route,
  show,
  statusBadge,
  when,
  type Child,
} from './dom.js';
import { statusLabel, taskOf } from './runs.js';
import { entryDuration, entryNote, entryOk, type TimelineEntry } from './timeline.js';
import type { ApiImport, ApiRun, WireMessage, WireToolCall } from './types.js';

/** The run once it has ended (its sections then say what it had, not what it may yet have). */
export type Ended = ApiRun | undefined;

/** The run's facts; `imported` is what this tab imported into the thread, when it did. */
export function drawHeader(target: HTMLElement, run: ApiRun, imported?: ApiImport): void {
  const { input_tokens, output_tokens, cost_usd } = run.usage;
  show(
    target,
    h(
      'div',
      { class: 'heading' },
      h('h1', { class: 'task-title' }, taskOf(run)),
      statusBadge(run.status, statusLabel(run)),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Run', idText(run.run_id), 'wide'),
      fact('Thread', idText(run.thread_id, route('files', run.thread_id)), 'wide'),
      fact('Started', when(run.created_at)),
      fact('Updated', when(run.updated_at)),
      fact('Tokens', `${input_tokens} in / ${output_tokens} out`),
      fact('Cost', `$${cost_usd.toFixed(4)}`),
      run.stop_reason ? fact('Stop reason', run.stop_reason) : null,
      imported ? fact('Workspace imported', describeImport(imported)) : null,
    ),
    run.error ? failureBox(run.error) : null,
    // A text node in a pre-wrap paragraph: the summary's line breaks show, its markup does not.
    run.summary ? h('p', { class: 'summary' }, run.summary) : null,
    h(
      'p',
      { class: 'actions' },
      h('a', { href: route('files', run.thread_id) }, 'Workspace files'),
      h(
        'a',
        { href: `${route('logs')}?channel=agent&run=${encodeURIComponent(run.run_id)}` },
        'Logs of this run',
      ),
      h(
        'a',
        { href: `${route('new')}?thread=${encodeURIComponent(run.thread_id)}` },
        'Follow-up task',
      ),
    ),
  );
}

/** A fact of the run; a `wide` one (an id) takes two columns where there are two. */
function fact(name: string, value: Child, kind?: 'wide'): HTMLElement {
  return h('div', { class: kind }, h('dt', {}, name), h('dd', {}, value));
}

/** "Plan failed after 3 attempts: CODE: why", as the CLI words a failed step. */
export function failureBox(error: { code: string; message: string }): HTMLElement {
  const sentence = describeFailure(error, undefined, 2_000);
  const cut = sentence.indexOf(': ');
  const head = sentence.slice(0, cut);
  return errorBox(`${head.charAt(0).toUpperCase()}${head.slice(1)}:`, sentence.slice(cut + 2));
}

/** What a section with nothing in it says: still to come while the run goes on, final after. */
function nothing(ended: Ended, yet: string, after: string): HTMLElement {
  return h('p', { class: 'muted', 'data-empty': ended ? 'ended' : 'yet' }, ended ? after : yet);
}

export function drawPlan(target: HTMLElement, plan: Plan | null | undefined, ended?: Ended): void {
  if (!plan) {
    const why = ended?.error ? ' The error above says why.' : '';
    return show(
      target,
      h('h2', {}, 'Plan'),
      nothing(ended, 'Not planned yet.', `The run ended before it had a plan.${why}`),
    );
  }
  show(
    target,
    h('h2', {}, 'Plan'),
    h('ol', { class: 'plan' }, ...plan.steps.map((step) => h('li', {}, step))),
    plan.checks.length > 0 ? h('h3', {}, 'Checks') : null,
    h('ul', {}, ...plan.checks.map((check) => h('li', {}, check))),
  );
}

/**
 * The steps so far: timed `from` the stream while the run goes on (the gaps between its events),
 * then from the agent log, whose durations are the calls' own.
 */
export function drawTimeline(
  target: HTMLElement,
  entries: TimelineEntry[],
  ended?: Ended,
  from: 'stream' | 'log' = 'stream',
): void {
  const longest = Math.max(1, ...entries.map(entryDuration));
  target.dataset.from = from;
  show(
    target,
    h('h2', {}, 'Timeline'),
    entries.length === 0
      ? nothing(ended, 'No step has finished yet.', 'No step ran.')
      : h(
          'ol',
          { class: 'timeline' },
          ...entries.map((entry) => {
            const ok = entryOk(entry);
            const took = entryDuration(entry);
            const note = entryNote(entry);
            const bar = h('span', { class: ok ? 'bar' : 'bar failed' });
            bar.style.width = `${Math.max(2, (took / longest) * 100)}%`;
            return h(
              'li',
              { 'data-step': entry.step, 'data-attempts': entry.attempts.length },
              h('span', { class: 'step' }, entry.step),
              h('span', { class: 'track' }, bar),
              h('span', { class: 'took' }, duration(took)),
              note === null ? null : h('span', { class: ok ? 'note' : 'note failed' }, note),
            );
          }),
        ),
  );
}

/** The conversation: the task, each model turn with its tool calls, and each tool's output. */
export function drawTurns(target: HTMLElement, messages: WireMessage[] = [], ended?: Ended): void {
  const turns = messages.filter((message) => message.type === 'ai').length;
  show(
    target,
    h('h2', {}, `Model turns (${turns})`),
    messages.length === 0
      ? nothing(ended, 'No messages yet.', 'The run ended before the model was asked.')
      : null,
    ...messages.map(drawMessage),
  );
}

function drawMessage(message: WireMessage): HTMLElement {
  const text = textOf(message.data.content);
  const calls = (message.data.tool_calls ?? []) as WireToolCall[];
  if (message.type === 'tool') {
    const name = message.data.name ?? message.data.tool_call_id ?? 'tool';
    return h(
      'div',
      { class: 'message tool' },
      h('div', { class: 'who' }, `Tool output — ${name}`),
      h('pre', {}, text),
    );
  }
  const who = message.type === 'ai' ? 'Model' : message.type === 'human' ? 'Task' : message.type;
  return h(
    'div',
    { class: `message ${message.type}` },
    h('div', { class: 'who' }, who),
    text === '' ? null : h('p', { class: 'text' }, text),
    ...calls.map((call) =>
      h(
        'div',
        { class: 'tool-call' },
        h('span', { class: 'call' }, `calls ${call.name}`),
        h('pre', {}, JSON.stringify(call.args ?? {}, null, 2)),
      ),
    ),
  );
}

function textOf(content: WireMessage['data']['content']): string {
  if (typeof content === 'string') return content;
  return content
    .map((part) => (typeof part.text === 'string' ? part.text : JSON.stringify(part)))
    .join('\n');
}

export function drawCommands(
  target: HTMLElement,
  commands: CommandRecord[] = [],
  ended?: Ended,
): void {
  show(
    target,
    h('h2', {}, 'Commands'),
    commands.length === 0 ? nothing(ended, 'No commands yet.', 'No commands ran.') : null,
    ...commands.map((command) =>
      h(
        'details',
        { class: 'command' },
        h(
          'summary',
          {},
          h('code', {}, command.command),
          ` — exit ${command.exitCode ?? 'none'}${command.timedOut ? ' (timed out)' : ''}, ${duration(command.durationMs)}`,
        ),
        command.stdout ? h('pre', {}, command.stdout) : null,
        command.stderr ? h('pre', { class: 'stderr' }, command.stderr) : null,
      ),
    ),
  );
}

export function drawChangedFiles(
  target: HTMLElement,
  threadId: string,
  files: string[] = [],
  ended?: Ended,
): void {
  show(
    target,
    h('h2', {}, 'Files changed'),
    files.length === 0
      ? nothing(ended, 'None yet.', 'The run changed no files.')
      : h(
          'ul',
          {},
          ...files.map((file) =>
            h('li', {}, h('a', { href: route('files', threadId, ...file.split('/')) }, file)),
          ),
        ),
  );
}

import type { CommandRecord, Plan } from '../../agent/graph/steps.js';
import { duration, errorBox, h, route, show, statusBadge, when, type Child } from './dom.js';
import { taskOf } from './runs.js';
import { describeImport } from './code-import.js';
import type { ApiImport, ApiRun, WireMessage, WireToolCall } from './types.js';

/** One step of a run as the timeline shows it. */
export interface TimelineEntry {
  step: string;
  durationMs: number;
  ok: boolean;
}

/** The run's facts; `imported` is what this tab imported into the thread, when it did. */
export function drawHeader(target: HTMLElement, run: ApiRun, imported?: ApiImport): void {
  const { input_tokens, output_tokens, cost_usd } = run.usage;
  show(
    target,
    h(
      'div',
      { class: 'heading' },
      h('h1', { class: 'task-title' }, taskOf(run)),
      statusBadge(run.status),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Run', run.run_id),
      fact('Thread', h('a', { href: route('files', run.thread_id) }, run.thread_id)),
      fact('Started', when(run.created_at)),
      fact('Updated', when(run.updated_at)),
      fact('Tokens', `${input_tokens} in / ${output_tokens} out`),
      fact('Cost', `$${cost_usd.toFixed(4)}`),
      run.stop_reason ? fact('Stop reason', run.stop_reason) : null,
      imported ? fact('Workspace imported', describeImport(imported)) : null,
    ),
    run.error ? errorBox(`${run.error.code}:`, run.error.message) : null,
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

function fact(name: string, value: Child): HTMLElement {
  return h('div', {}, h('dt', {}, name), h('dd', {}, value));
}

export function drawPlan(target: HTMLElement, plan: Plan | null | undefined): void {
  if (!plan)
    return show(target, h('h2', {}, 'Plan'), h('p', { class: 'muted' }, 'Not planned yet.'));
  show(
    target,
    h('h2', {}, 'Plan'),
    h('ol', { class: 'plan' }, ...plan.steps.map((step) => h('li', {}, step))),
    plan.checks.length > 0 ? h('h3', {}, 'Checks') : null,
    h('ul', {}, ...plan.checks.map((check) => h('li', {}, check))),
  );
}

export function drawTimeline(target: HTMLElement, entries: TimelineEntry[]): void {
  const longest = Math.max(1, ...entries.map((entry) => entry.durationMs));
  show(
    target,
    h('h2', {}, 'Timeline'),
    entries.length === 0
      ? h('p', { class: 'muted' }, 'No step has finished yet.')
      : h(
          'ol',
          { class: 'timeline' },
          ...entries.map((entry) => {
            const bar = h('span', { class: entry.ok ? 'bar' : 'bar failed' });
            bar.style.width = `${Math.max(2, (entry.durationMs / longest) * 100)}%`;
            return h(
              'li',
              {},
              h('span', { class: 'step' }, entry.step),
              h('span', { class: 'track' }, bar),
              h('span', { class: 'took' }, duration(entry.durationMs)),
            );
          }),
        ),
  );
}

/** The conversation: the task, each model turn with its tool calls, and each tool's output. */
export function drawTurns(target: HTMLElement, messages: WireMessage[] = []): void {
  const turns = messages.filter((message) => message.type === 'ai').length;
  show(
    target,
    h('h2', {}, `Model turns (${turns})`),
    messages.length === 0 ? h('p', { class: 'muted' }, 'No messages yet.') : null,
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

export function drawCommands(target: HTMLElement, commands: CommandRecord[] = []): void {
  show(
    target,
    h('h2', {}, 'Commands'),
    commands.length === 0 ? h('p', { class: 'muted' }, 'No commands ran.') : null,
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
): void {
  show(
    target,
    h('h2', {}, 'Files changed'),
    files.length === 0
      ? h('p', { class: 'muted' }, 'None yet.')
      : h(
          'ul',
          {},
          ...files.map((file) =>
            h('li', {}, h('a', { href: route('files', threadId, ...file.split('/')) }, file)),
          ),
        ),
  );
}

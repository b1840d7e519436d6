import { getJson, messageOf, storedIdentity } from './api.js';
import { errorBox, h, idText, show, when } from './dom.js';
import type { Page } from './types.js';

const CHANNELS = ['system', 'agent', 'user_interactions', 'errors'];
const SHOWN_FIELDS = new Set(['ts', 'level', 'channel', 'msg', 'service', 'env', 'release']);
/** Fields holding ids: requestId, threadId, runId, invocationId and the like. */
const ID_KEY = /(?:^id|Id)$/;

/** The tail of one log channel, optionally only one run's lines; a user's own threads' lines only. */
export const renderLogs: Page = (view, _args, query) => {
  const channel = h(
    'select',
    { id: 'log-channel' },
    ...CHANNELS.map((name) =>
      h('option', { value: name, selected: name === (query.get('channel') ?? 'system') }, name),
    ),
  );
  const runId = h('input', {
    id: 'log-run',
    placeholder: 'run id (optional)',
    value: query.get('run') ?? '',
  });
  const limit = h('input', { id: 'log-limit', type: 'number', min: 1, max: 1000, value: 200 });
  const lines = h('section', { class: 'card', id: 'log-lines' });
  let stopped = false;

  const load = (): void => {
    const params = new URLSearchParams({ limit: limit.value || '200' });
    if (runId.value.trim() !== '') params.set('run_id', runId.value.trim());
    getJson<{ lines: Record<string, unknown>[] }>(
      `/dashboard/api/logs/${encodeURIComponent(channel.value)}?${params}`,
    )
      .then((answer) => {
        if (!stopped) show(lines, logTable(answer.lines));
      })
      .catch((error: unknown) => {
        if (!stopped) show(lines, errorBox('Cannot read the log:', messageOf(error)));
      });
  };
  const form = h(
    'form',
    {
      class: 'card toolbar',
      onsubmit: (event: Event) => {
        event.preventDefault();
        load();
      },
    },
    h('label', {}, 'Channel ', channel),
    h('label', {}, 'Run ', runId),
    h('label', {}, 'Lines ', limit),
    h('button', { type: 'submit' }, 'Show'),
  );
  channel.addEventListener('change', load);
  const scope =
    storedIdentity()?.admin === true
      ? null
      : h(
          'p',
          { class: 'muted', id: 'log-scope' },
          'Only the lines of your own threads are shown.',
        );
  show(view, h('h1', {}, 'Logs'), scope, form, lines);
  load();
  return () => {
    stopped = true;
  };
};

function logTable(records: Record<string, unknown>[]): HTMLElement {
  if (records.length === 0) return h('p', { class: 'muted' }, 'No lines.');
  return h(
    'table',
    { class: 'logs' },
    h(
      'tbody',
      {},
      ...[...records].reverse().map((record) => {
        const extra = Object.fromEntries(
          Object.entries(record).filter(([key]) => !SHOWN_FIELDS.has(key)),
        );
        const level = String(record.level ?? '');
        return h(
          'tr',
          { class: `level-${level}` },
          h('td', { class: 'ts' }, when(String(record.ts ?? ''))),
          h('td', { class: 'level' }, level),
          h(
            'td',
            {},
            h('div', { class: 'msg' }, String(record.msg ?? '')),
            Object.keys(extra).length > 0 ? fields(extra) : null,
          ),
        );
      }),
    ),
  );
}

/**
 * A record's other fields as `key=value` pairs that wrap between pairs: an id stays whole on one
 * line (JSON's single unbroken string could only be broken in the middle of one).
 */
function fields(extra: Record<string, unknown>): HTMLElement {
  const pairs = Object.entries(extra).map(([key, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return h(
      'span',
      { class: 'field' },
      `${key}=`,
      ID_KEY.test(key) && typeof value === 'string' ? idText(value) : text,
    );
  });
  return h('code', { class: 'fields' }, ...pairs.flatMap((pair) => [pair, ' ']));
}

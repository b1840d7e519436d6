import type { ActiveAlert } from '../../monitoring/alerts.js';
import type { ReadinessDocument } from '../../monitoring/readiness.js';
import type { HostMetrics } from '../host-metrics.js';
import { getJson, messageOf } from './api.js';
import { sparkline } from './chart.js';
import { errorBox, h, show, statusBadge, when } from './dom.js';
import type { Page } from './types.js';

const SAMPLE_MS = 5_000;
const KEEP_SAMPLES = 60;

interface SystemAnswer {
  orchestrator: { httpStatus: number; health: ReadinessDocument };
  /** `health` when the host answered with a readiness document; `unreachable` says why not. */
  host: {
    url: string | null;
    httpStatus?: number;
    health?: ReadinessDocument;
    unreachable?: string;
  };
  metrics: HostMetrics | null;
  sampledAt: string;
}

/** The host's numbers the page charts: label, and what the number counts. */
const CHARTED = {
  invocations: ['Function invocations', 'since the worker host started'],
  errors: ['Failed invocations', 'since the worker host started'],
  workers: ['Worker processes', 'now'],
} as const;
type Charted = keyof typeof CHARTED;
const CHARTED_NAMES = Object.keys(CHARTED) as Charted[];

/** Health of the orchestrator and the worker host, workers per function, metrics and alerts. */
export const renderSystem: Page = (view) => {
  const health = h('div', { class: 'columns' });
  const charts = h('section', { class: 'card' });
  const workers = h('section', { class: 'card', id: 'workers' });
  const alerts = h('section', { class: 'card', id: 'alerts' });
  const problem = h('div', { class: 'problem' });
  show(
    view,
    h('h1', {}, 'System'),
    problem,
    health,
    charts,
    h('div', { class: 'columns' }, workers, alerts),
  );
  const samples: Record<Charted, number[]> = {
    invocations: [],
    errors: [],
    workers: [],
  };

  let timer: number | undefined;
  let stopped = false;
  const sample = async (): Promise<void> => {
    try {
      const [system, active] = await Promise.all([
        getJson<SystemAnswer>('/dashboard/api/system'),
        getJson<ActiveAlert[]>('/dashboard/api/alerts'),
      ]);
      if (stopped) return;
      show(problem);
      show(
        health,
        healthCard('Orchestrator', system.orchestrator.health),
        system.host.health
          ? healthCard(`Worker host ${system.host.url ?? ''}`, system.host.health)
          : h(
              'section',
              { class: 'card' },
              h('h2', {}, 'Worker host'),
              errorBox('Unreachable:', system.host.unreachable ?? ''),
            ),
      );
      drawCharts(charts, samples, system);
      drawWorkers(workers, system.metrics);
      drawAlerts(alerts, active);
    } catch (error) {
      if (!stopped) show(problem, errorBox('Cannot read the system state:', messageOf(error)));
    }
    if (!stopped) timer = window.setTimeout(() => void sample(), SAMPLE_MS);
  };
  void sample();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
};

function healthCard(title: string, health: ReadinessDocument): HTMLElement {
  const rows = Object.entries(health.checks).flatMap(([name, checks]) =>
    checks.map((check) =>
      h(
        'tr',
        {},
        h('td', {}, name),
        h('td', {}, statusBadge(check.status)),
        h('td', { class: 'output' }, check.output ?? ''),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card health' },
    h('div', { class: 'heading' }, h('h2', {}, title), statusBadge(health.status)),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No checks beyond answering.')
      : h('table', {}, h('tbody', {}, ...rows)),
  );
}

function drawCharts(
  target: HTMLElement,
  samples: Record<Charted, number[]>,
  system: SystemAnswer,
): void {
  if (!system.metrics) {
    return show(
      target,
      h('h2', {}, 'Metrics'),
      h('p', { class: 'muted' }, 'The worker host sent no metrics.'),
    );
  }
  const { metrics } = system;
  for (const name of CHARTED_NAMES) {
    samples[name].push(metrics[name]);
    if (samples[name].length > KEEP_SAMPLES) samples[name].shift();
  }
  show(
    target,
    h('h2', {}, 'Metrics'),
    h(
      'p',
      { class: 'muted' },
      `Sampled every ${SAMPLE_MS / 1000} s while this page is open; last ${when(system.sampledAt)}.`,
    ),
    h(
      'div',
      { class: 'charts' },
      ...CHARTED_NAMES.map((name) => {
        const [label, note] = CHARTED[name];
        return sparkline(name, label, samples[name], { note, sampleMs: SAMPLE_MS });
      }),
    ),
  );
}

function drawWorkers(target: HTMLElement, metrics: HostMetrics | null): void {
  const entries = Object.entries(metrics?.workersByFunction ?? {});
  show(
    target,
    h('h2', {}, 'Functions and workers'),
    entries.length === 0
      ? h('p', { class: 'muted' }, 'No worker processes.')
      : h(
          'table',
          {},
          h(
            'tbody',
            {},
            ...entries.map(([name, count]) => h('tr', {}, h('td', {}, name), h('td', {}, count))),
          ),
        ),
  );
}

function drawAlerts(target: HTMLElement, active: ActiveAlert[]): void {
  show(
    target,
    h('h2', {}, 'Active alerts'),
    active.length === 0
      ? h('p', { class: 'muted', id: 'no-alerts' }, 'No active alerts.')
      : h(
          'ul',
          { class: 'alerts' },
          ...active.map((alert) =>
            h(
              'li',
              { 'data-alert': alert.name },
              h('div', {}, statusBadge(alert.severity), ' ', h('strong', {}, alert.summary)),
              h('div', { class: 'window' }, measuredOver(alert)),
              h('div', { class: 'muted' }, `Firing since ${when(alert.since)} · ${alert.name}`),
            ),
          ),
        ),
  );
}

/**
 * The one window the alert's ratio was computed over, and its counts. The alert's figure is
 * measured when it fires, over its own window, while the charts count since the worker host
 * started: each says which it is, rather than leave two numbers to disagree unexplained.
 */
function measuredOver(alert: ActiveAlert): string {
  const end = when(alert.since);
  if (alert.windowMs === 0) return `Measured at ${end}.`;
  const window = `the ${alert.windowMs / 60_000} min up to ${end}`;
  if (!alert.counts) return `Measured over ${window}.`;
  const { failed, total } = alert.counts;
  return `${failed} of ${total} failed in ${window}.`;
}

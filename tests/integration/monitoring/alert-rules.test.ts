import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/index.js';
import { OrchestratorMetrics } from '../../../src/orchestrator/metrics.js';
import { HostMetrics } from '../../../src/runtime/host/metrics.js';
import { runTool } from '../../helpers/prometheus.js';
import { tempDir } from '../../helpers/tmp.js';

// The monitoring files under deploy/monitoring, checked by the tools that will load them
// (promtool, amtool), the alert rules run against promtool's unit tests, and every query in them
// and in the Grafana dashboard held to metric names the services really export.

const MONITORING = fileURLToPath(new URL('../../../deploy/monitoring/', import.meta.url));
const ALERTS_DIR = path.join(MONITORING, 'alerts');
const alertFiles = readdirSync(ALERTS_DIR)
  .filter((name) => name.endsWith('.yml'))
  .map((name) => path.join(ALERTS_DIR, name));

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const rules: Rule[] = alertFiles.flatMap((file) =>
  (parse(readFileSync(file, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (group) => group.rules,
  ),
);

interface Target {
  expr?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
  annotations: { list: { expr?: string; datasource?: { uid: string } }[] };
}
const dashboard = JSON.parse(
  readFileSync(path.join(MONITORING, 'grafana/dashboards/atolye.json'), 'utf8'),
) as Dashboard;
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');

/** Series Prometheus makes itself. */
const PROMETHEUS_SERIES = ['up', 'ALERTS'];

/** Every series name a metric of this type exposes. */
function seriesNames(name: string, type: string): string[] {
  if (type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** The series the host and the orchestrator export, read from their real registries. */
async function knownSeries(): Promise<Set<string>> {
  const registries = [
    new HostMetrics({ pools: () => [], logDir: os.tmpdir() }).registry,
    new OrchestratorMetrics().registry,
  ];
  const exported = (
    await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))
  ).flatMap((metrics) => metrics.map((metric) => [metric.name, String(metric.type)] as const));
  return new Set([
    ...exported.flatMap(([name, type]) => seriesNames(name, type)),
    ...PROMETHEUS_SERIES,
  ]);
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on']);

/** The metric names a PromQL expression selects (functions, labels and keywords left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = [...bare.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*(?![\w:]|\s*\()/g)].map(
    (match) => match[0],
  );
  return [...new Set(names.filter((name) => !KEYWORDS.has(name)))];
}

/** A Grafana query as plain PromQL: its variables replaced by values Prometheus accepts. */
function promql(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$__interval', '15s')
    .replaceAll('$function', '.*');
}

describe('the Prometheus and Alertmanager configuration', () => {
  it('passes promtool check config, which also loads every alert rule file', () => {
    const run = runTool('promtool', ['check', 'config', 'prometheus.yml'], MONITORING);
    expect(run).toMatchObject({ status: 0 });
    expect(run.output).toContain(`SUCCESS: ${alertFiles.length} rule files found`);
  });

  it('passes promtool check rules', () => {
    const run = runTool('promtool', ['check', 'rules', ...alertFiles]);
    expect({ status: run.status, output: run.output }).toMatchObject({ status: 0 });
  });

  it('passes amtool check-config, with the webhook receiver', () => {
    const run = runTool('amtool', ['check-config', 'alertmanager.yml'], MONITORING);
    expect({ status: run.status, output: run.output }).toMatchObject({ status: 0 });
    const config = parse(readFileSync(path.join(MONITORING, 'alertmanager.yml'), 'utf8')) as {
      route: { receiver: string };
      receivers: { name: string; webhook_configs?: { url: string }[] }[];
    };
    const receiver = config.receivers.find((entry) => entry.name === config.route.receiver);
    expect(receiver?.webhook_configs?.[0]?.url).toBe('http://127.0.0.1:9099/alerts');
  });

  it('scrapes the host and the orchestrator where their default configuration listens', () => {
    const { config } = loadConfig({ env: 'development', environ: {} });
    const prometheus = parse(readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets]),
    );
    expect(targets).toEqual({
      'atolye-host': [`${config.host.bind}:${config.host.port}`],
      'atolye-orchestrator': [`${config.api.bind}:${config.api.port}`],
    });
    expect(prometheus.rule_files).toEqual(['alerts/*.yml']);
  });
});

describe('the alert rules', () => {
  const alerts = rules.filter((rule) => rule.alert !== undefined);

  it('cover what issue 6 asks for', () => {
    expect(alerts.map((rule) => rule.alert).sort()).toEqual([
      'AtolyeFunctionDown',
      'AtolyeInvocationErrorRatioHigh',
      'AtolyeLogDiskFillingUp',
      'AtolyeLogDiskNearlyFull',
      'AtolyeRunFailureRatioHigh',
      'AtolyeStepLatencyHigh',
      'AtolyeTargetDown',
    ]);
  });

  it.each(alerts.map((rule) => [rule.alert, rule] as const))(
    '%s has a severity, a summary and a description',
    (_name, rule) => {
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toEqual(expect.stringMatching(/\S/));
      expect(rule.annotations?.description).toEqual(expect.stringMatching(/\S/));
    },
  );

  it('pass their promtool unit tests, which make each alert fire and stay quiet', () => {
    const testFile = path.join(MONITORING, 'tests/alerts.test.yml');
    const run = runTool('promtool', ['test', 'rules', testFile]);
    expect({ status: run.status, output: run.output }).toMatchObject({ status: 0 });
    expect(run.output).toContain('SUCCESS');

    const cases = (
      parse(readFileSync(testFile, 'utf8')) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((test) => test.alert_rule_test);
    for (const { alert } of alerts) {
      const mine = cases.filter((entry) => entry.alertname === alert);
      expect({ alert, fires: mine.some((entry) => entry.exp_alerts.length > 0) }).toEqual({
        alert,
        fires: true,
      });
      expect({ alert, quiet: mine.some((entry) => entry.exp_alerts.length === 0) }).toEqual({
        alert,
        quiet: true,
      });
    }
  });

  it('select only metrics the services export', async () => {
    const known = await knownSeries();
    const unknown = rules.flatMap((rule) =>
      metricNames(rule.expr)
        .filter((name) => !known.has(name))
        .map((name) => `${rule.alert ?? rule.record}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });
});

describe('the Grafana dashboard', () => {
  it('reads its metric names from PromQL the way Prometheus does', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (function, le) (rate(a_bucket{x="y"}[5m]))) / on (f) ' +
          'b_total > 1e9 and ignoring (g) c:d offset 5m',
      ),
    ).toEqual(['a_bucket', 'b_total', 'c:d']);
  });

  it('queries only metrics the services export, in every panel', async () => {
    const known = await knownSeries();
    const queries = [
      ...queryPanels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? '' })),
      ),
      ...dashboard.annotations.list.map((entry) => ({
        where: 'annotation',
        expr: entry.expr ?? '',
      })),
      ...dashboard.templating.list.map((variable) => ({
        where: `$${variable.name}`,
        expr: variable.query.query.replace(/^label_values\(([^,)]+).*$/, '$1'),
      })),
    ];
    expect(queries.filter(({ expr }) => expr.trim() === '')).toEqual([]);
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNames(promql(expr))
        .filter((name) => !known.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('holds queries that Prometheus parses', () => {
    const work = tempDir('atolye-grafana-queries-');
    try {
      const recorded = queryPanels.flatMap((panel) =>
        (panel.targets ?? []).map((target, index) => ({
          record: `grafana:panel_${panel.id}_${index}`,
          expr: promql(target.expr ?? ''),
        })),
      );
      const file = path.join(work.dir, 'queries.yml');
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'grafana', rules: recorded }] }));
      const run = runTool('promtool', ['check', 'rules', file]);
      expect({ status: run.status, output: run.output }).toMatchObject({ status: 0 });
      expect(run.output).toContain(`SUCCESS: ${recorded.length} rules found`);
    } finally {
      work.cleanup();
    }
  });

  it('has unique panel ids and uses the provisioned datasource', () => {
    const provisioned = parse(
      readFileSync(path.join(MONITORING, 'grafana/provisioning/datasources/atolye.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    const uid = provisioned.datasources[0]?.uid;
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      queryPanels.filter((panel) => panel.datasource?.uid !== uid).map((panel) => panel.title),
    ).toEqual([]);
    expect(queryPanels.length).toBeGreaterThan(20);
  });
});

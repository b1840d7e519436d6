import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startPrometheus, type TestPrometheus } from '../../helpers/prometheus.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';
import { build, deployOk, hostConfig, startTestHost, type TestHost } from '../deploy/helpers.js';
import { eventually } from '../../helpers/eventually.js';

// The real Prometheus scrapes a real worker host; failing invocations make the error-ratio alert
// of deploy/monitoring/alerts/invocations.yml fire. The rule is the real one, its 5-minute window
// and `for` shortened so that a test sees it fire within seconds.

const ALERT = 'AtolyeInvocationErrorRatioHigh';
const RULES_FILE = fileURLToPath(
  new URL('../../../deploy/monitoring/alerts/invocations.yml', import.meta.url),
);
const DEPS = fileURLToPath(new URL('../deploy/fixtures/deps.ts', import.meta.url));

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The real alert rule, with its [5m] ranges and `for` scaled down to the test's 1 s scrapes. */
function testRule(): Rule {
  const groups = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] })
    .groups;
  const rule = groups.flatMap((group) => group.rules).find((r) => r.alert === ALERT);
  if (!rule) throw new Error(`${RULES_FILE} has no alert ${ALERT}`);
  if (!rule.expr.includes('[5m]'))
    throw new Error(`${ALERT}'s expr no longer uses [5m] ranges; update this test: ${rule.expr}`);
  return { ...rule, expr: rule.expr.replaceAll('[5m]', '[10s]'), for: '1s' };
}

/** `flaky`: `{ fail }` → `{ ok: true }`, or a handler error (outcome `error`) when asked. */
function flakySource(functionsDir: string): string {
  const deps = path
    .relative(path.join(functionsDir, 'flaky'), DEPS)
    .split(path.sep)
    .join('/')
    .replace(/\.ts$/, '.js');
  return `import { defineFunction, z } from '${deps}';

export default defineFunction({
  name: 'flaky',
  description: 'fails when asked, for the error-ratio alert test',
  input: z.object({ fail: z.boolean() }),
  output: z.object({ ok: z.boolean() }),
  limits: { timeoutMs: 5000, memoryMb: 128, concurrency: 8, minWorkers: 1, maxWorkers: 1, idleMs: 60000 },
  async handle(input) {
    if (input.fail) throw new Error('flaky was asked to fail');
    return { ok: true };
  },
});
`;
}

let work: ReturnType<typeof tempDir>;
let host: TestHost | undefined;
let prometheus: TestPrometheus | undefined;

beforeAll(() => {
  work = tempDir('atolye-prometheus-test-');
});

afterAll(async () => {
  await prometheus?.stop();
  await host?.stop();
  work.cleanup();
});

it('fires the invocation error-ratio alert when a function starts failing', async () => {
  const functionsDir = path.join(work.dir, 'functions');
  writeFiles(functionsDir, {
    'package.json': { type: 'module', private: true },
    'flaky/index.ts': flakySource(functionsDir),
  });
  const built = await build(functionsDir, path.join(work.dir, 'dist'));
  host = await startTestHost(hostConfig(path.join(work.dir, 'data'), path.join(work.dir, 'logs')));
  await deployOk(host, built);
  const running = host;
  const call = (fail: boolean): Promise<unknown> =>
    running.invoke('flaky', { fail }).catch((error: unknown) => error);

  prometheus = await startPrometheus({
    targets: [{ job: 'atolye-host', target: new URL(host.url).host }],
    ruleFiles: {
      'error-ratio.yml': JSON.stringify({ groups: [{ name: 'test', rules: [testRule()] }] }),
    },
  });
  const server = prometheus;
  const errorRatioAlerts = async () =>
    (await server.alerts()).filter((alert) => alert.labels.alertname === ALERT);

  // Healthy traffic first: Prometheus sees the calls, and the alert stays quiet.
  let traffic: ReturnType<typeof setInterval> = setInterval(() => void call(false), 100);
  try {
    await eventually(
      'Prometheus scraped successful calls of flaky',
      async () =>
        (await server.query('sum(rate(atolye_invocations_total{function="flaky"}[10s])) > 0'))
          .length > 0,
      { timeoutMs: 15_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // two more rule evaluations
    expect(await errorRatioAlerts()).toEqual([]);
  } finally {
    clearInterval(traffic);
  }

  // Now one call in two fails: the ratio is ~50%, far over 1%.
  traffic = setInterval(() => void Promise.all([call(false), call(true)]), 100);
  try {
    expect(await call(true)).toMatchObject({ code: 'HANDLER_ERROR' });
    await eventually(
      `${ALERT} is firing`,
      async () => (await errorRatioAlerts()).some((alert) => alert.state === 'firing'),
      { timeoutMs: 20_000 },
    );
  } finally {
    clearInterval(traffic);
  }

  const [alert] = await errorRatioAlerts();
  expect(alert).toMatchObject({
    state: 'firing',
    labels: { alertname: ALERT, function: 'flaky', severity: 'critical' },
  });
  expect(alert?.annotations.summary).toMatch(/^Function flaky fails \d+(\.\d+)?% of its calls$/);
  expect(Number(alert?.value)).toBeGreaterThan(0.01);
});

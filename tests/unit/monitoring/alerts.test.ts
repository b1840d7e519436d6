import {
  AlertEvaluator,
  sumSeries,
  type ActiveAlert,
  type AlertSample,
} from '../../../src/monitoring/alerts.js';

function sample(at: number, calls: [number, number], runs: [number, number] = [0, 0]): AlertSample {
  return {
    at: at * 60_000,
    invocations: { total: calls[0], failed: calls[1] },
    runs: { total: runs[0], failed: runs[1] },
  };
}

function evaluator(): { alerts: AlertEvaluator; fired: ActiveAlert[]; resolved: ActiveAlert[] } {
  const fired: ActiveAlert[] = [];
  const resolved: ActiveAlert[] = [];
  const alerts = new AlertEvaluator({
    fired: (alert) => fired.push(alert),
    resolved: (alert) => resolved.push(alert),
  });
  return { alerts, fired, resolved };
}

test('the error ratio fires above 1 % over 5 min, once, and resolves when it falls', () => {
  const { alerts, fired, resolved } = evaluator();
  alerts.evaluate(sample(0, [1000, 0]));
  alerts.evaluate(sample(1, [1100, 1])); // 1 of 100: exactly 1 %, not above
  expect(fired).toEqual([]);
  alerts.evaluate(sample(2, [1200, 5])); // 5 of 200
  alerts.evaluate(sample(3, [1300, 6]));
  expect(fired.map((alert) => alert.name)).toEqual(['AtolyeInvocationErrorRatioHigh']);
  expect(fired[0]?.summary).toBe('2.5 % of function invocations failed in 5 min (> 1 %)');
  // The counts the ratio divides, and the window they were counted over, come with it.
  expect(fired[0]).toMatchObject({ windowMs: 5 * 60_000, counts: { failed: 5, total: 200 } });
  expect(alerts.active()).toHaveLength(1);

  // Five minutes of clean traffic later the window no longer holds the failures.
  for (let minute = 4; minute <= 9; minute += 1)
    alerts.evaluate(sample(minute, [1300 + minute * 100, 6]));
  expect(resolved.map((alert) => alert.name)).toEqual(['AtolyeInvocationErrorRatioHigh']);
  expect(alerts.active()).toEqual([]);
});

test('no traffic is no ratio: nothing fires and nothing resolves', () => {
  const { alerts, fired } = evaluator();
  alerts.evaluate(sample(0, [0, 0]));
  alerts.evaluate(sample(1, [0, 0]));
  expect(fired).toEqual([]);
});

test('counters that go down (a restarted host) start the window over instead of a negative ratio', () => {
  const { alerts, fired } = evaluator();
  alerts.evaluate(sample(0, [1000, 500]));
  alerts.evaluate(sample(1, [10, 0]));
  alerts.evaluate(sample(2, [110, 0]));
  expect(fired).toEqual([]);
});

test('run failures fire above 20 % over 30 min; a nearly full log disk fires below 1 GiB', () => {
  const { alerts, fired } = evaluator();
  alerts.evaluate({ ...sample(0, [0, 0], [10, 1]), logFreeBytes: 5 * 1024 ** 3 });
  alerts.evaluate({ ...sample(10, [0, 0], [20, 5]), logFreeBytes: 512 * 1024 ** 2 });
  expect(fired.map((alert) => [alert.name, alert.severity])).toEqual([
    ['AtolyeRunFailureRatioHigh', 'warning'],
    ['AtolyeLogDiskNearlyFull', 'critical'],
  ]);
  expect(fired[1]?.summary).toBe("the log directory's disk has 512 MiB free (< 1 GiB)");
});

test('sumSeries adds the series of one metric whose labels pass the filter', () => {
  const text = [
    '# HELP atolye_invocations_total Function invocations by outcome.',
    '# TYPE atolye_invocations_total counter',
    'atolye_invocations_total{function="plan",outcome="ok"} 7',
    'atolye_invocations_total{function="plan",outcome="error"} 2',
    'atolye_invocations_total{function="act",outcome="timeout"} 1',
    'atolye_invocations_total_other 99',
    'atolye_log_dir_free_bytes 2048',
  ].join('\n');
  expect(sumSeries(text, 'atolye_invocations_total')).toBe(10);
  expect(
    sumSeries(text, 'atolye_invocations_total', (labels) => !labels.includes('outcome="ok"')),
  ).toBe(3);
  expect(sumSeries(text, 'atolye_log_dir_free_bytes')).toBe(2048);
  expect(sumSeries(text, 'atolye_missing')).toBe(0);
});

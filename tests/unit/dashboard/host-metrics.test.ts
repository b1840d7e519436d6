import { parseHostMetrics } from '../../../src/dashboard/host-metrics.js';

// The system page's numbers from the worker host's Prometheus text.

test('failed invocations are every outcome but ok, as the error-ratio alert counts them', () => {
  const text = [
    '# HELP atolye_invocations_total Function invocations by outcome.',
    '# TYPE atolye_invocations_total counter',
    'atolye_invocations_total{function="plan",outcome="ok"} 7',
    'atolye_invocations_total{function="plan",outcome="error"} 2',
    'atolye_invocations_total{function="act",outcome="timeout"} 1',
    'atolye_invocations_total{function="act",outcome="throttled"} 1',
    'atolye_invocations_total{function="act",outcome="invalid"} 1',
    'atolye_workers{function="act",state="idle"} 2',
    'atolye_workers{function="plan",state="busy"} 1',
    'atolye_invocations_total_other 99',
  ].join('\n');
  expect(parseHostMetrics(text)).toEqual({
    invocations: 12,
    errors: 5,
    workers: 3,
    workersByFunction: { act: 2, plan: 1 },
  });
});

import { HostMetrics, outcomeOf } from '../../../../src/runtime/host/metrics.js';
import type { HostInvokeOutcome, Pool, PoolStats } from '../../../../src/runtime/host/types.js';

const failure = (status: number, code: string): HostInvokeOutcome => ({
  ok: false,
  status,
  error: { code, message: code, retryable: false },
  durationMs: 1,
  coldStart: false,
});

test('outcomes come from the error code, with "error" for a handler’s own codes', () => {
  expect(outcomeOf({ ok: true, output: 1, durationMs: 1, coldStart: false, worker: 1 })).toBe('ok');
  expect(outcomeOf(failure(400, 'INPUT_INVALID'))).toBe('invalid');
  expect(outcomeOf(failure(504, 'FUNCTION_TIMEOUT'))).toBe('timeout');
  expect(outcomeOf(failure(502, 'WORKER_CRASHED'))).toBe('crash');
  expect(outcomeOf(failure(429, 'QUEUE_FULL'))).toBe('throttled');
  expect(outcomeOf(failure(503, 'FUNCTION_DRAINING'))).toBe('unavailable');
  expect(outcomeOf(failure(500, 'ECHO_RETRYABLE'))).toBe('error');
});

test('each host has its own registry; gauges are read from the pools at scrape time', async () => {
  let stats: Partial<PoolStats> = {
    name: 'plan',
    queued: 3,
    workers: { starting: 1, idle: 2, busy: 0, stopping: 0, total: 3 },
  };
  const pools = [{ stats: () => stats } as unknown as Pool];
  const metrics = new HostMetrics({ pools: () => pools, processMetrics: false });
  const other = new HostMetrics({ pools: () => [], processMetrics: false });
  metrics.observe('plan', { ok: true, output: null, durationMs: 12, coldStart: true, worker: 1 });
  metrics.reject('SIGNATURE_INVALID');

  const text = await metrics.text();
  expect(text).toContain('atolye_invocations_total{function="plan",outcome="ok"} 1');
  expect(text).toContain('atolye_cold_starts_total{function="plan"} 1');
  expect(text).toContain('atolye_invocation_duration_seconds_bucket{le="0.025",function="plan"} 1');
  expect(text).toContain('atolye_invocation_duration_seconds_bucket{le="0.01",function="plan"} 0');
  expect(text).toContain('atolye_workers{function="plan",state="idle"} 2');
  expect(text).toContain('atolye_queue_depth{function="plan"} 3');
  expect(text).toContain('atolye_gateway_rejected_total{code="SIGNATURE_INVALID"} 1');
  expect(text).not.toContain('process_cpu');
  expect(metrics.contentType).toContain('text/plain');
  expect(await other.text()).not.toContain('function="plan"');

  // A function that left the registry leaves the gauges too.
  pools.pop();
  stats = {};
  expect(await metrics.text()).not.toContain('atolye_workers{function="plan"');
});

import { RestartGate } from '../../../../src/runtime/host/restart-gate.js';
import { describeExit } from '../../../../src/runtime/host/worker-exit.js';

const backoff = { initialMs: 1_000, maxMs: 8_000, factor: 2 };

test('a failed start closes the gate for the backoff, refuses callers at once and reads as unhealthy', () => {
  const gate = new RestartGate('plan', backoff);
  expect(gate.waitMs()).toBeLessThanOrEqual(0);
  expect(gate.problem()).toBeUndefined();
  gate.startFailed('worker exited with code 1 before it was ready: SyntaxError: x');
  expect(gate.waitMs()).toBeGreaterThan(900);
  expect(gate.delayMs()).toBe(1_000);
  expect(gate.callerWaitMs(1_000)).toBe(0);
  expect(gate.problem()).toContain('SyntaxError: x');
  expect(gate.waitReason()).toMatch(/SyntaxError: x; next start in \d+ ms/);
  expect(gate.refusal()).toMatchObject({
    status: 503,
    error: { code: 'WORKER_START_FAILED', retryable: true },
    retryAfterS: 1,
  });

  gate.workerReady();
  expect(gate.callerWaitMs(1_000)).toBe(1_000);
  gate.callSucceeded();
  expect(gate.failureCount).toBe(0);
  expect(gate.waitMs()).toBeLessThanOrEqual(0);
});

test('crashes of unproven workers back off and turn unhealthy after three; a proven crash resets', () => {
  const gate = new RestartGate('act', backoff);
  gate.crashed('worker 1 exited unexpectedly with code 3', false);
  gate.crashed('worker 2 exited unexpectedly with code 3', false);
  expect(gate.delayMs()).toBe(2_000);
  expect(gate.problem()).toBeUndefined();
  expect(gate.refusal()).toMatchObject({
    status: 503,
    error: { code: 'FUNCTION_UNAVAILABLE' },
    retryAfterS: 2,
  });
  gate.crashed('worker 3 exited unexpectedly with code 3', false);
  expect(gate.problem()).toContain('worker 3');
  gate.crashed('worker 4 exited after an hour', true);
  expect(gate.failureCount).toBe(0);
  expect(gate.problem()).toBeUndefined();
});

test('an exit is worded by who ended the worker and when', () => {
  const base = { pid: 7, code: 3, signal: null, uptimeMs: 0 };
  expect(describeExit({ ...base, wasStarting: false, said: 'Error: boom' })).toMatchObject({
    reason: 'crashed',
    message: 'worker 7 exited unexpectedly with code 3: Error: boom',
  });
  expect(describeExit({ ...base, wasStarting: true })).toMatchObject({
    reason: 'start-failed',
    message: 'worker exited with code 3 before it was ready',
  });
  const timedOut = {
    reason: 'start-failed' as const,
    message: 'it did not report ready within 10 ms',
  };
  expect(
    describeExit({ ...base, code: null, signal: 'SIGKILL', wasStarting: true, ending: timedOut })
      .reason,
  ).toBe('start-failed');
  const stopped = { reason: 'stopped' as const, message: 'stopped by the host' };
  expect(describeExit({ ...base, wasStarting: true, ending: stopped }).reason).toBe('stopped');
  const overran = { reason: 'timeout' as const, message: 'call x overran the 5 ms timeout' };
  expect(describeExit({ ...base, wasStarting: false, ending: overran })).toMatchObject({
    reason: 'timeout',
    message: 'worker 7 was ended because call x overran the 5 ms timeout',
  });
});

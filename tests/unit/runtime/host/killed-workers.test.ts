import { ABSORBED_KILLS, RestartGate } from '../../../../src/runtime/host/restart-gate.js';
import { describeExit } from '../../../../src/runtime/host/worker-exit.js';

const backoff = { initialMs: 1_000, maxMs: 8_000, factor: 2 };

test('a signal from outside reads as killed, before or after ready; a signal the worker raises or an exit code does not', () => {
  const base = { pid: 9, code: null, uptimeMs: 0 };
  expect(describeExit({ ...base, signal: 'SIGKILL', wasStarting: true })).toEqual({
    reason: 'killed',
    code: null,
    signal: 'SIGKILL',
    uptimeMs: 0,
    wasStarting: true,
    message: 'worker 9 was killed by SIGKILL from outside the host before it was ready',
  });
  expect(
    describeExit({ ...base, signal: 'SIGTERM', wasStarting: false, uptimeMs: 50 }),
  ).toMatchObject({
    reason: 'killed',
    message: 'worker 9 was killed by SIGTERM from outside the host after it was ready',
  });
  // Raised by the worker itself: V8 out of heap aborts, a native fault segfaults.
  expect(describeExit({ ...base, signal: 'SIGABRT', wasStarting: true }).reason).toBe(
    'start-failed',
  );
  expect(describeExit({ ...base, signal: 'SIGSEGV', wasStarting: false }).reason).toBe('crashed');
  expect(describeExit({ ...base, code: 1, signal: null, wasStarting: true }).reason).toBe(
    'start-failed',
  );
  // The host's own SIGKILL (a start timeout, an overrun) keeps its reason.
  const overran = { reason: 'timeout' as const, message: 'call x overran the 5 ms timeout' };
  expect(
    describeExit({ ...base, signal: 'SIGKILL', wasStarting: false, ending: overran }).reason,
  ).toBe('timeout');
});

test('kills are absorbed without backoff until more than ABSORBED_KILLS hit workers that never served', () => {
  const gate = new RestartGate('tools', backoff);
  for (let kill = 1; kill <= ABSORBED_KILLS; kill += 1) {
    expect(gate.killed(false)).toBe(true);
  }
  expect(gate.waitMs()).toBeLessThanOrEqual(0);
  expect(gate.failureCount).toBe(0);
  expect(gate.callerWaitMs(1_000)).toBe(1_000);
  expect(gate.problem()).toBeUndefined();
  expect(gate.killed(false)).toBe(false);

  // A worker that serves a call ends the streak; so does the kill of a proven worker.
  gate.callSucceeded();
  expect(gate.killed(false)).toBe(true);
  for (let kill = 1; kill < ABSORBED_KILLS; kill += 1) gate.killed(false);
  expect(gate.killed(true)).toBe(true);
  expect(gate.killed(false)).toBe(true);
});

test('a kill does not clear the backoff of a bundle that failed by itself', () => {
  const gate = new RestartGate('plan', backoff);
  gate.startFailed('worker exited with code 1 before it was ready');
  expect(gate.killed(false)).toBe(true);
  expect(gate.waitMs()).toBeGreaterThan(900);
  expect(gate.refusal().error.code).toBe('WORKER_START_FAILED');
});

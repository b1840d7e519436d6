import type { AgentStateValue } from '../../../../src/agent/graph/state.js';
import type { ToolResult } from '../../../../src/agent/graph/steps.js';
import {
  checkStops,
  loopIn,
  maskTimings,
  STUCK_ALTERNATIONS,
  STUCK_REPEATS,
  toolFingerprint,
} from '../../../../src/agent/graph/stops.js';

const TEST = 'python3 -m unittest test_mathx';
const runTests = [{ id: 'call-1', name: 'run_command', args: { command: TEST } }];

/** A `run_command` result as the tools step reports it: the content carries the duration. */
function ran(
  durationMs: number,
  outcome: Partial<NonNullable<ToolResult['outcome']>> = {},
): ToolResult[] {
  const full = {
    exitCode: 1,
    timedOut: false,
    stdout: '',
    stderr: 'FAILED (failures=1)\n',
    ...outcome,
  };
  return [
    {
      id: 'call-1',
      name: 'run_command',
      ok: full.exitCode === 0,
      ...(full.exitCode === 0 ? {} : { code: 'COMMAND_FAILED' }),
      content: `$ ${TEST}\nexit code ${full.exitCode} in ${durationMs} ms\n--- stdout ---\n${full.stdout}\n--- stderr ---\n${full.stderr}`,
      outcome: full,
      durationMs,
    },
  ];
}

describe('toolFingerprint of a command', () => {
  it('is the same for the same command and outcome however long each run took', () => {
    expect(toolFingerprint(runTests, ran(123))).toBe(toolFingerprint(runTests, ran(4567)));
  });

  it('ignores the timings test runners print themselves', () => {
    const first = ran(80, { stderr: 'F\nRan 1 test in 0.001s\n\nFAILED (failures=1)\n' });
    const second = ran(95, { stderr: 'F\nRan 1 test in 0.013s\n\nFAILED (failures=1)\n' });
    expect(toolFingerprint(runTests, first)).toBe(toolFingerprint(runTests, second));
  });

  it('differs when the exit code, an output stream, a time-out or the command differs', () => {
    const base = toolFingerprint(runTests, ran(10));
    expect(toolFingerprint(runTests, ran(10, { exitCode: 2 }))).not.toBe(base);
    expect(toolFingerprint(runTests, ran(10, { exitCode: 0 }))).not.toBe(base);
    expect(toolFingerprint(runTests, ran(10, { stdout: 'x\n' }))).not.toBe(base);
    expect(toolFingerprint(runTests, ran(10, { stderr: 'FAILED (failures=2)\n' }))).not.toBe(base);
    expect(toolFingerprint(runTests, ran(10, { exitCode: null, timedOut: true }))).not.toBe(base);
    const other = [{ id: 'call-1', name: 'run_command', args: { command: `${TEST} -v` } }];
    expect(toolFingerprint(other, ran(10))).not.toBe(base);
  });

  it('compares the content of a result that reports no outcome, as other tools do', () => {
    const [result] = ran(10);
    const { outcome, ...withoutOutcome } = result!;
    expect(outcome).toBeDefined();
    const fingerprint = (content: string) =>
      toolFingerprint(runTests, [{ ...withoutOutcome, content }]);
    expect(fingerprint('a')).toBe(fingerprint('a'));
    expect(fingerprint('a')).not.toBe(fingerprint('b'));
  });
});

describe('maskTimings', () => {
  it.each([
    ['Ran 1 test in 0.003s', 'Ran 1 test in <time>'],
    ['=== 1 failed, 2 passed in 0.04s ===', '=== 1 failed, 2 passed in <time> ==='],
    ['Time:        1.234 s', 'Time:        <time>'],
    ['Done in 340ms.', 'Done in <time>.'],
    ['real\t0m0.003s', 'real\t<time>'],
    ['--- FAIL: TestAdd (0.00s)', '--- FAIL: TestAdd (<time>)'],
    ['took 3 seconds', 'took <time>'],
    ['[12:04:59.123] started', '[<time>] started'],
  ])('masks %j', (text, masked) => {
    expect(maskTimings(text)).toBe(masked);
  });

  it('leaves numbers that are not timings alone', () => {
    const text = 'AssertionError: 5 != -1\n3 passed, 1 failed\nline 42: x = 10\nsha 3s4f';
    expect(maskTimings(text)).toBe(text);
  });
});

describe('loopIn', () => {
  it(`finds ${STUCK_REPEATS} identical steps in a row, and nothing short of it`, () => {
    expect(loopIn(['a', 'b', 'b', 'b'])).toBe(
      `the model made the same tool calls with the same results ${STUCK_REPEATS} times in a row`,
    );
    expect(loopIn(['b', 'b'])).toBeNull();
    expect(loopIn(['b', 'b', 'a', 'b'])).toBeNull();
  });

  it(`finds two steps taking turns for ${STUCK_ALTERNATIONS} full cycles`, () => {
    const message = `the model alternated between the same two tool calls with the same results ${STUCK_ALTERNATIONS} times (A, B, A, B)`;
    expect(loopIn(['a', 'b', 'a', 'b'])).toBe(message);
    expect(loopIn(['c', 'x', 'a', 'b', 'a', 'b'])).toBe(message);
    // One cycle, a third action between, or a changed result is not a loop.
    expect(loopIn(['a', 'b', 'a'])).toBeNull();
    expect(loopIn(['a', 'b', 'c', 'a', 'b'])).toBeNull();
    expect(loopIn(['a', 'b', 'a', 'b2'])).toBeNull();
    expect(loopIn(['a', 'b', 'a', 'b', 'c'])).toBeNull();
  });
});

describe('checkStops on a looping model', () => {
  const state = (toolFingerprints: string[]): AgentStateValue =>
    ({
      iteration: toolFingerprints.length,
      toolFingerprints,
      usage: { steps: [], totals: { inputTokens: 0, outputTokens: 0, costUsd: 0 } },
    }) as unknown as AgentStateValue;

  it('stops a repeated command whose durations differ, with the STUCK code', () => {
    const prints = [ran(12), ran(340), ran(7)].map((results) => toolFingerprint(runTests, results));
    expect(checkStops(state(prints), { maxIterations: 30 }, false)).toEqual({
      status: 'stuck',
      error: {
        code: 'STUCK',
        message: `the model made the same tool calls with the same results ${STUCK_REPEATS} times in a row`,
      },
    });
  });

  it('stops alternation and says so', () => {
    const stop = checkStops(state(['x', 'a', 'b', 'a', 'b']), { maxIterations: 30 }, false);
    expect(stop?.status).toBe('stuck');
    expect(stop?.error.code).toBe('STUCK');
    expect(stop?.error.message).toContain('alternated between the same two tool calls');
  });
});

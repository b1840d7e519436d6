import {
  addCall,
  addUpdate,
  entryDuration,
  entryNote,
  entryOk,
  type StepCall,
  type TimelineEntry,
} from '../../../src/dashboard/ui/timeline.js';

// The run view's timeline from the agent log's step lines ("step plan failed", with `attempt`
// and `code`) and from the stream's updates: a retried step is one entry, in words.

function timeline(calls: StepCall[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const call of calls) addCall(entries, call);
  return entries;
}

const failedPlan = (attempt: number): StepCall => ({
  step: 'plan',
  attempt,
  durationMs: 100,
  ok: false,
  code: 'MODEL_TIMEOUT',
});

test('three failed attempts of a step are one entry: "failed after 3 attempts", not three bars', () => {
  const entries = timeline([failedPlan(1), failedPlan(2), failedPlan(3)]);
  expect(entries).toHaveLength(1);
  const [plan] = entries as [TimelineEntry];
  expect(plan.step).toBe('plan');
  expect(entryOk(plan)).toBe(false);
  expect(entryDuration(plan)).toBe(300);
  expect(entryNote(plan)).toBe('failed after 3 attempts (MODEL_TIMEOUT)');
});

test('a step that worked on a retry says so; one that worked at once says nothing', () => {
  const entries = timeline([
    { step: 'plan', attempt: 1, durationMs: 20, ok: true },
    { step: 'act', attempt: 1, durationMs: 50, ok: false, code: 'MODEL_TIMEOUT' },
    { step: 'act', attempt: 2, durationMs: 40, ok: false, code: 'MODEL_UNREACHABLE' },
    { step: 'act', attempt: 3, durationMs: 30, ok: true },
  ]);
  expect(entries.map((entry) => [entry.step, entryOk(entry), entryNote(entry)])).toEqual([
    ['plan', true, null],
    ['act', true, 'succeeded on attempt 3; attempts 1–2 failed (MODEL_TIMEOUT, MODEL_UNREACHABLE)'],
  ]);
  const once = timeline([
    { step: 'act', attempt: 1, durationMs: 5, ok: false },
    { step: 'act', attempt: 2, durationMs: 5, ok: true },
  ]);
  expect(entryNote(once[0] as TimelineEntry)).toBe('succeeded on attempt 2; attempt 1 failed');
});

test('the same step again on a later turn is a new entry, not a retry', () => {
  const entries = timeline([
    { step: 'act', attempt: 1, durationMs: 10, ok: true },
    { step: 'tools', attempt: 1, durationMs: 10, ok: true },
    { step: 'act', attempt: 1, durationMs: 10, ok: true },
    { step: 'act', attempt: 1, durationMs: 10, ok: false, code: 'MODEL_REJECTED' },
  ]);
  expect(entries.map((entry) => [entry.step, entry.attempts.length, entryNote(entry)])).toEqual([
    ['act', 1, null],
    ['tools', 1, null],
    ['act', 1, null],
    ['act', 1, 'failed (MODEL_REJECTED)'],
  ]);
});

test("the stream's error-handler node is the step that failed, under the step's own name", () => {
  const entries: TimelineEntry[] = [];
  addUpdate(entries, 'plan', 12);
  addUpdate(entries, '__error_handler__act', 30);
  expect(entries).toEqual([
    { step: 'plan', attempts: [{ durationMs: 12, ok: true }] },
    { step: 'act', attempts: [{ durationMs: 30, ok: false }] },
  ]);
  expect(entryNote(entries[1] as TimelineEntry)).toBe('failed');
});

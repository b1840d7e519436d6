import { nextRun, scheduleProblem } from '../../../src/orchestrator/cron-schedule.js';

// Cron expressions: five fields or six with seconds first, read in UTC; a bad one is refused with
// an example of a good one.

const at = (iso: string) => new Date(iso);

test.each([
  ['0 9 * * 1-5', '2026-01-02T10:00:00.000Z', '2026-01-05T09:00:00.000Z'],
  ['*/15 * * * *', '2026-01-01T00:07:30.000Z', '2026-01-01T00:15:00.000Z'],
  ['*/30 * * * * *', '2026-01-01T00:00:30.000Z', '2026-01-01T00:01:00.000Z'],
  ['@daily', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
])('%s after %s fires at %s (UTC, strictly after)', (schedule, after, expected) => {
  expect(scheduleProblem(schedule)).toBeUndefined();
  expect(nextRun(schedule, at(after))?.toISOString()).toBe(expected);
});

test('no firing at or after the end time', () => {
  const end = '2026-01-01T00:02:00.000Z';
  expect(nextRun('* * * * *', at('2026-01-01T00:00:30.000Z'), end)?.toISOString()).toBe(
    '2026-01-01T00:01:00.000Z',
  );
  expect(nextRun('* * * * *', at('2026-01-01T00:01:00.000Z'), end)).toBeNull();
});

test.each([
  ['0 25 * * *', /Invalid value for hour: 25/],
  ['every day', /not a cron expression \(2 fields\)/],
  ['* * * *', /not a cron expression/],
  ['0 0 0 1 1 * 2030', /not a cron expression \(7 fields\)/],
  ['', /not a cron expression/],
])('%j is refused with the reason and an example', (schedule, reason) => {
  const problem = scheduleProblem(schedule);
  expect(problem).toMatch(reason);
  expect(problem).toContain('"0 9 * * 1-5" (09:00 UTC on weekdays)');
});

test('a date that never comes is refused', () => {
  expect(scheduleProblem('0 0 30 2 *')).toMatch(/"0 0 30 2 \*" never fires/);
});

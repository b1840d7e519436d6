import { Cron } from 'croner';

/**
 * Cron expressions as the crons take them: five fields (minute hour day-of-month month
 * day-of-week), or six with seconds first, or a nickname such as `@daily`; always read in UTC.
 * Parsing and next times are croner's; this module only fixes its options and words its refusals.
 */

const OPTIONS = { mode: '5-or-6-parts', timezone: 'UTC' } as const;

export const SCHEDULE_EXAMPLES =
  '"0 9 * * 1-5" (09:00 UTC on weekdays), "*/15 * * * *" (every 15 minutes) or, with seconds first, "*/30 * * * * *"';

/** Why `schedule` cannot be used, or undefined when it can. */
export function scheduleProblem(schedule: string): string | undefined {
  let next: Date | null;
  try {
    next = new Cron(schedule, OPTIONS).nextRun();
  } catch (error) {
    const fields = schedule.trim() === '' ? 0 : schedule.trim().split(/\s+/).length;
    // croner's own count also allows its 7-field form (with years), which crons do not take.
    const reason = /parts/.test(String((error as Error).message))
      ? `${fields} fields`
      : String((error as Error).message).replace(/^CronPattern: /, '');
    return `"${schedule}" is not a cron expression (${reason}); use 5 fields "minute hour day month weekday" in UTC, e.g. ${SCHEDULE_EXAMPLES}`;
  }
  if (next === null) {
    return `"${schedule}" never fires (no such date); use e.g. ${SCHEDULE_EXAMPLES}`;
  }
  return undefined;
}

/**
 * The first time `schedule` fires strictly after `after`, or null when it fires no more before
 * `endTime` (exclusive). `schedule` must have passed scheduleProblem().
 */
export function nextRun(schedule: string, after: Date, endTime: string | null = null): Date | null {
  return new Cron(schedule, {
    ...OPTIONS,
    stopAt: endTime === null ? undefined : new Date(endTime),
  }).nextRun(after);
}

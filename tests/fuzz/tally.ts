import type { Answer } from './wire.js';

/** How an answer is counted: its status class, or how it failed to come. */
export type AnswerClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'closed';

export function classOf(answer: Answer): AnswerClass {
  if (answer.failure) return answer.failure;
  const status = answer.status ?? 0;
  return `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as AnswerClass;
}

/** One broken invariant, as found (before shrinking) or as shrunk. */
export interface Failure {
  property: string;
  problem: string;
}

/** Requests sent per route and answers per class, across every property of a run. */
export class Tally {
  readonly routes: Record<string, Partial<Record<AnswerClass, number>>> = {};
  readonly answers: Partial<Record<AnswerClass, number>> = {};
  readonly failures: Failure[] = [];
  /** Refused mutating requests whose "nothing written" check ran, and those it could not (busy). */
  writeChecks = 0;
  writeChecksSkipped = 0;
  sent = 0;

  record(route: string, answer: Answer): AnswerClass {
    const kind = classOf(answer);
    const counts = (this.routes[route] ??= {});
    counts[kind] = (counts[kind] ?? 0) + 1;
    this.answers[kind] = (this.answers[kind] ?? 0) + 1;
    this.sent += 1;
    return kind;
  }

  /** Keeps each distinct problem once (shrinking finds the same one many times). */
  fail(property: string, problem: string): void {
    const short = problem.slice(0, 1_000);
    if (this.failures.length >= 50) return;
    if (this.failures.some((failure) => failure.property === property && failure.problem === short))
      return;
    this.failures.push({ property, problem: short });
  }

  toJSON(): Record<string, unknown> {
    return {
      sent: this.sent,
      answers: this.answers,
      writeChecks: this.writeChecks,
      writeChecksSkipped: this.writeChecksSkipped,
      failures: this.failures,
      routes: Object.fromEntries(
        Object.entries(this.routes).sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
  }
}

/**
 * The invariants every answer keeps: it came within the bound, and it is not a 5xx. Returns
 * what is wrong, for the property to throw (fast-check then shrinks the input).
 */
export function answerProblem(route: string, answer: Answer): string | undefined {
  if (answer.failure === 'timeout')
    return `${route}: no complete answer within the bound (${answer.detail ?? 'timeout'})`;
  if (answer.failure === 'closed')
    return `${route}: the connection ended without an answer (${answer.detail ?? ''})`;
  if ((answer.status ?? 0) >= 500)
    return `${route}: answered ${answer.status}: ${answer.body.slice(0, 500)}`;
  return undefined;
}

/** The first difference between two snapshots of what a request may write, for a message. */
export function firstDifference(
  before: readonly string[],
  after: readonly string[],
): string | undefined {
  const had = new Set(before);
  const has = new Set(after);
  const gone = before.filter((entry) => !has.has(entry));
  const added = after.filter((entry) => !had.has(entry));
  if (gone.length === 0 && added.length === 0) return undefined;
  return `added ${JSON.stringify(added.slice(0, 5))}, removed ${JSON.stringify(gone.slice(0, 5))}`;
}

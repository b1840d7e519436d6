import fc from 'fast-check';
import type { Tally } from './tally.js';

/** What every property of a fuzz run shares. */
export interface FuzzSettings {
  /** Runs per property. */
  numRuns: number;
  seed: number;
  /** Longest a request may take to be answered. */
  boundMs: number;
  /** Stops a property (shrinking included) after this long; it then passes with what it ran. */
  timeLimitMs?: number;
  tally: Tally;
}

/** A named property over one target, ready for fc.check or fc.assert. */
export interface FuzzProperty {
  name: string;
  // fast-check's property over one generated case; the case type stays inside each module.
  property: fc.IAsyncPropertyWithHooks<[unknown]>;
}

export function parameters(settings: FuzzSettings): fc.Parameters<[unknown]> {
  return {
    numRuns: settings.numRuns,
    seed: settings.seed,
    interruptAfterTimeLimit: settings.timeLimitMs,
    markInterruptAsFailure: false,
    // The counterexample as shrunk is what gets printed; a huge value is cut short.
    includeErrorInReport: true,
  };
}

/** Builds a property that counts its failures in the tally under `name`. */
export function fuzzProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  settings: FuzzSettings,
  check: (value: T) => Promise<void>,
): FuzzProperty {
  const property = fc.asyncProperty(arbitrary, async (value) => {
    try {
      await check(value);
    } catch (error) {
      settings.tally.fail(name, (error as Error).message);
      throw error;
    }
  });
  return { name, property: property as unknown as fc.IAsyncPropertyWithHooks<[unknown]> };
}

/** Runs one property; the report (with the shrunk counterexample) when it failed. */
export async function runProperty(
  fuzz: FuzzProperty,
  settings: FuzzSettings,
): Promise<{ name: string; ran: number; failed: boolean; report?: string }> {
  const details = await fc.check(fuzz.property, parameters(settings));
  const report = details.failed ? fc.defaultReportMessage(details) : undefined;
  return {
    name: fuzz.name,
    ran: details.numRuns,
    failed: details.failed,
    report: report && report.length > 6_000 ? `${report.slice(0, 6_000)}…` : report,
  };
}

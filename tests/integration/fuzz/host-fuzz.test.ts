import { startHostTarget, type HostTarget } from '../../fuzz/host-target.js';
import { hostProperties } from '../../fuzz/host.fuzz.js';
import { runProperty } from '../../fuzz/property.js';
import { Tally } from '../../fuzz/tally.js';

// The worker host under generated hostile input, as `npm run fuzz` sends it (tests/fuzz), with a
// fixed seed and a few runs per property: signed calls with inputs from the function's contract,
// bad signatures, stale timestamps, replays and odd idempotency keys; the admin routes with odd
// tokens; raw HTTP. Every answer comes, none is a 5xx, the host stays healthy, a refused or
// replayed call never runs the function and an accepted one runs it once.

const SEED = 20_261_206;
/** Only a hang fails on time: the machine may be busy with other suites. */
const BOUND_MS = 30_000;
const RUNS = 150;

let target: HostTarget;

beforeAll(async () => {
  target = await startHostTarget();
}, 120_000);

afterAll(async () => {
  await target?.stop();
});

test('every generated call is answered, never with a 5xx, and runs the function only when accepted', async () => {
  const tally = new Tally();
  const settings = { numRuns: RUNS, seed: SEED, boundMs: BOUND_MS, tally };
  for (const property of hostProperties(target, settings)) {
    const result = await runProperty(property, settings);
    expect({ property: property.name, report: result.report }).toEqual({
      property: property.name,
      report: undefined,
    });
    expect(result.ran).toBe(RUNS);
  }
  expect(tally.failures).toEqual([]);
  // Some calls ran and some replays were refused: the invariants were put to the test.
  expect(tally.answers['2xx']).toBeGreaterThan(0);
  expect(tally.routes['host POST /fn/{name} (replayed)']?.['4xx']).toBeGreaterThan(0);
}, 240_000);

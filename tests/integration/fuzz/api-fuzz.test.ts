import { startApiTarget, type ApiTarget, type StorageKind } from '../../fuzz/api-target.js';
import { apiProperties } from '../../fuzz/api.fuzz.js';
import { runProperty } from '../../fuzz/property.js';
import { Tally } from '../../fuzz/tally.js';

// The run API under generated hostile input, as `npm run fuzz` sends it (tests/fuzz), with a fixed
// seed and a few runs per property: requests from the OpenAPI document (odd ids, paths, bodies,
// methods, headers and keys) and raw HTTP. Every answer comes, none is a 5xx, the API stays
// healthy, and a refused request to a mutating route leaves the store and the workspaces as they
// were. On SQLite and on Postgres, whose text rules differ (it refuses a NUL character).

const SEED = 20_261_206;
/** Only a hang fails on time: the machine may be busy with other suites. */
const BOUND_MS = 30_000;
const RUNS: Record<StorageKind, number> = { sqlite: 150, postgres: 100 };

describe.each(['sqlite', 'postgres'] as const)('the run API on %s', (storage) => {
  let target: ApiTarget;

  beforeAll(async () => {
    target = await startApiTarget(storage);
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
  });

  test('every generated request is answered, never with a 5xx, and a refused one writes nothing', async () => {
    const tally = new Tally();
    const settings = { numRuns: RUNS[storage], seed: SEED, boundMs: BOUND_MS, tally };
    for (const property of apiProperties(target, settings)) {
      const result = await runProperty(property, settings);
      expect({ property: property.name, report: result.report }).toEqual({
        property: property.name,
        report: undefined,
      });
      expect(result.ran).toBe(RUNS[storage]);
    }
    expect(tally.failures).toEqual([]);
    // The write check ran: refused requests to mutating routes were among those sent.
    expect(tally.writeChecks).toBeGreaterThan(0);
    expect(tally.answers['2xx']).toBeGreaterThan(0);
  }, 240_000);
});

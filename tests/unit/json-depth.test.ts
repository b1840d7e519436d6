import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/json-depth.js';

function arrays(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level += 1) value = [value];
  return value;
}

function objects(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level += 1) value = { a: value };
  return value;
}

describe('nestsDeeperThan', () => {
  it('counts levels of arrays and objects; scalars are none', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan([1, 'a', null], 1)).toBe(false);
    expect(nestsDeeperThan({ a: [1] }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: [1] }, 2)).toBe(false);
  });

  it('finds the deepest branch wherever it is, in arrays and objects alike', () => {
    const wide = { a: 1, b: [2, 3], c: { d: { e: [arrays(10)] } }, f: 'x' };
    // 3 objects, then an array, then the ten arrays of arrays(10).
    expect(nestsDeeperThan(wide, 14)).toBe(false);
    expect(nestsDeeperThan(wide, 13)).toBe(true);
    expect(nestsDeeperThan([1, 2, objects(MAX_JSON_DEPTH)], MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan([1, 2, objects(MAX_JSON_DEPTH - 1)], MAX_JSON_DEPTH)).toBe(false);
  });

  it('copes with depths that overflow every recursive walker, and with cycles', () => {
    const deep = arrays(1_000_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(nestsDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(objects(200_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(JSON.parse('['.repeat(5_000) + ']'.repeat(5_000)), 4_999)).toBe(true);
    expect(nestsDeeperThan(JSON.parse('['.repeat(5_000) + ']'.repeat(5_000)), 5_000)).toBe(false);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(nestsDeeperThan(cycle, MAX_JSON_DEPTH)).toBe(true);
  });
});

// Fixture functions are written to temporary folders outside the checkout, where `zod` and the
// contract do not resolve; they import them through this file (by a relative path) instead.
// `z` holds only what the fixtures use: re-exporting zod's whole namespace object would put all
// of zod (its ~40 locale tables too, ≈ 460 KiB) in every fixture bundle, over the size budget.
import * as zod from 'zod';

export const z = {
  array: zod.array,
  boolean: zod.boolean,
  number: zod.number,
  object: zod.object,
  string: zod.string,
  unknown: zod.unknown,
};
export { defineFunction } from '../../../src/runtime/contract.js';

// Fixture functions are written to temporary folders outside the checkout, where `zod` and the
// contract do not resolve; they import them through this file (by a relative path) instead.
export { z } from 'zod';
export { defineFunction } from '../../../src/runtime/contract.js';

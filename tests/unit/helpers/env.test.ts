import { withEnv } from '../../helpers/env.js';

// For code that reads process.env itself: what a test changes there must not outlive the test.

describe('withEnv', () => {
  it('sets and removes variables for the call, and puts them back after it, returned or thrown', async () => {
    expect(process.env.ATOLYE_TEST_A).toBeUndefined();
    process.env.ATOLYE_TEST_B = 'before';
    try {
      const seen = withEnv({ ATOLYE_TEST_A: 'a', ATOLYE_TEST_B: undefined }, () => ({
        a: process.env.ATOLYE_TEST_A,
        b: process.env.ATOLYE_TEST_B,
      }));
      expect(seen).toEqual({ a: 'a', b: undefined });
      expect(process.env.ATOLYE_TEST_A).toBeUndefined();
      expect(process.env.ATOLYE_TEST_B).toBe('before');

      await expect(
        withEnv({ ATOLYE_TEST_B: 'during' }, async () => {
          await Promise.resolve();
          throw new Error(`failed with ${process.env.ATOLYE_TEST_B}`);
        }),
      ).rejects.toThrow('failed with during');
      expect(process.env.ATOLYE_TEST_B).toBe('before');
    } finally {
      delete process.env.ATOLYE_TEST_B;
    }
  });
});

import { eventually, giveUp } from '../../helpers/eventually.js';

// The test suites' own polling helper: a wait that cannot fail would hide a bug.

describe('eventually', () => {
  it('resolves to the first answer that is not undefined, null or false', async () => {
    const answers = [undefined, null, false, { found: 3 }];
    await expect(eventually('the fourth answer', () => answers.shift())).resolves.toEqual({
      found: 3,
    });
  });

  it('asks again after a probe throws, and names what it waited for and the last answer', async () => {
    let asked = 0;
    const probe = (): { count: number } | undefined => {
      asked += 1;
      if (asked === 1) throw new Error('not listening yet');
      return asked > 1_000 ? { count: asked } : undefined;
    };
    await expect(eventually('a thousand asks', probe, { timeoutMs: 50 })).rejects.toThrow(
      /^timed out after 50 ms waiting for a thousand asks; the last answer was undefined$/,
    );
    expect(asked).toBeGreaterThan(1);
  });

  it('quotes the last error on timeout', async () => {
    const probe = (): never => {
      throw new Error('connect ECONNREFUSED');
    };
    await expect(eventually('the server', probe, { timeoutMs: 30 })).rejects.toThrow(
      'waiting for the server; the last try threw: connect ECONNREFUSED',
    );
  });

  it('stops at once when the probe gives up', async () => {
    let asked = 0;
    const waited = eventually('the host to answer', () => {
      asked += 1;
      giveUp('the host exited (1)');
    });
    await expect(waited).rejects.toThrow(
      'gave up waiting for the host to answer: the host exited (1)',
    );
    expect(asked).toBe(1);
  });
});

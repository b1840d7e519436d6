import * as z from 'zod';
import {
  defineFunction,
  describeIssues,
  isFunctionDefinition,
} from '../../../src/runtime/contract.js';

// What a function author is told about a wrong declaration, and what a right one keeps.

type Spec = Parameters<typeof defineFunction>[0];
const base = {
  name: 'fn',
  input: z.object({}),
  output: z.object({}),
  handle: () => ({}),
};
const declare = (spec: Record<string, unknown>) => () =>
  defineFunction({ ...base, ...spec } as unknown as Spec);

function problemsOf(spec: Record<string, unknown>): string {
  try {
    declare(spec)();
  } catch (error) {
    expect(error).toMatchObject({ code: 'FUNCTION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('the declaration was accepted');
}

describe('a wrong declaration', () => {
  it('names the function and lists every problem, one per line', () => {
    expect(
      problemsOf({
        name: 'Bad_Name',
        input: {},
        output: 'x',
        handle: 1,
        secrets: ['API_KEY', 'lower'],
      }),
    ).toBe(
      [
        'function Bad_Name is declared wrongly:',
        '  - name must match /^[a-z][a-z0-9-]{0,39}$/ (lower-case letters, digits, dashes)',
        '  - input must be a zod schema',
        '  - output must be a zod schema',
        '  - handle must be a function',
        '  - secret "lower" is not an environment variable name',
      ].join('\n'),
    );
  });

  it('calls a function without a name "(unnamed)"', () => {
    expect(problemsOf({ name: 42 })).toMatch(
      /^function \(unnamed\) is declared wrongly:\n {2}- name/,
    );
  });

  it('names each bad limit by its field', () => {
    expect(problemsOf({ limits: { timeoutMs: -1, minWorkers: 3, maxWorkers: 2 } })).toMatch(
      /- limits\.timeoutMs: .*\n {2}- limits\.minWorkers: minWorkers must not exceed maxWorkers$/,
    );
    expect(problemsOf({ limits: 'fast' })).toMatch(/- limits\.\(root\): /);
  });

  it('accepts as many workers at least as at most', () => {
    expect(
      defineFunction({ ...base, limits: { minWorkers: 2, maxWorkers: 2 } }).limits,
    ).toMatchObject({ minWorkers: 2, maxWorkers: 2 });
  });
});

describe('a right declaration', () => {
  it('keeps its description, secrets and defaults, and is recognised as one', () => {
    const fn = defineFunction({ ...base, description: 'does it', secrets: ['API_KEY'] });
    expect(fn).toMatchObject({ kind: 'atolye.function', name: 'fn', description: 'does it' });
    expect(fn.secrets).toEqual(['API_KEY']);
    const plain = defineFunction(base);
    expect(plain.description).toBe('');
    expect(plain.secrets).toEqual([]);
    expect(isFunctionDefinition(fn)).toBe(true);
  });

  it('is told apart from what merely looks like one', () => {
    expect(isFunctionDefinition(null)).toBe(false);
    expect(isFunctionDefinition('atolye.function')).toBe(false);
    expect(isFunctionDefinition({ kind: 'other' })).toBe(false);
    expect(isFunctionDefinition({ kind: 'atolye.function' })).toBe(true);
  });
});

describe('describeIssues', () => {
  it('names each field, and the value as a whole by the name given', () => {
    const fields = z.object({ a: z.string(), b: z.object({ c: z.number() }) });
    const error = fields.safeParse({ a: 1, b: { c: 'x' } }).error as z.ZodError;
    expect(describeIssues(error)).toEqual([
      expect.stringMatching(/^a: /),
      expect.stringMatching(/^b\.c: /),
    ]);
    const whole = z.string().safeParse(5).error as z.ZodError;
    expect(describeIssues(whole)).toEqual([expect.stringMatching(/^\(input\): /)]);
    expect(describeIssues(whole, '(body)')).toEqual([expect.stringMatching(/^\(body\): /)]);
  });
});

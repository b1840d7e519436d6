import * as z from 'zod';
import { defineFunction } from '../../../src/runtime/contract.js';
import { workerSettings } from '../../../src/runtime/worker/settings.js';

const base = {
  name: 'fn',
  input: z.object({}),
  output: z.object({}),
  handle: () => ({}),
};

describe('declared settings', () => {
  it('are kept on the definition, once each, with an init hook when given', () => {
    const init = (): void => undefined;
    const fn = defineFunction({
      ...base,
      settings: ['sandbox', 'workspace.root', 'sandbox'],
      init,
    });
    expect(fn.settings).toEqual(['sandbox', 'workspace.root']);
    expect(fn.init).toBe(init);
    expect(defineFunction(base).settings).toEqual([]);
  });

  it('refuse a path that is not dotted configuration words, naming it', () => {
    const bad = (settings: unknown, init?: unknown) => () =>
      defineFunction({ ...base, settings, init } as unknown as Parameters<
        typeof defineFunction
      >[0]);
    expect(bad(['workspace..root', 'ok'])).toThrow(
      expect.objectContaining({
        code: 'FUNCTION_INVALID',
        message: expect.stringContaining('setting "workspace..root" is not a configuration path'),
      }),
    );
    expect(bad('sandbox')).toThrow(/settings must be a list of configuration paths/);
    expect(bad([], 'init')).toThrow(/init must be a function/);
  });
});

describe('a worker’s settings', () => {
  it('are the JSON the host passed, frozen, when every declared path has a value', () => {
    const read = workerSettings('fn', ['workspace.root'], '{"workspace":{"root":"/ws"}}');
    expect(read).toEqual({ ok: true, settings: { workspace: { root: '/ws' } } });
    if (read.ok) expect(Object.isFrozen(read.settings.workspace)).toBe(true);
    expect(workerSettings('fn', [], undefined)).toEqual({ ok: true, settings: {} });
  });

  it('refuse to start on a missing declared path or a value that is not a JSON object', () => {
    expect(workerSettings('fn', ['sandbox', 'workspace.root'], '{"workspace":{}}')).toEqual({
      ok: false,
      problem: expect.stringContaining(
        'no value for the declared setting(s) sandbox, workspace.root',
      ),
    });
    expect(workerSettings('fn', [], '[1]')).toEqual({
      ok: false,
      problem: 'fn: its settings must be a JSON object',
    });
    expect(workerSettings('fn', [], '{')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('fn: its settings are not JSON'),
    });
  });
});

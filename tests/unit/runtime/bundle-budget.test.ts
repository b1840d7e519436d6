import type { Metafile } from 'esbuild';
import { sizeTable } from '../../../src/cli/build-command.js';
import { largestInputs } from '../../../src/runtime/bundle/budget.js';
import {
  BUNDLE_BUDGET_BYTES,
  bundleBudget,
  contentVersion,
  overBudget,
  type Manifest,
} from '../../../src/runtime/bundle/index.js';

describe('bundle budgets', () => {
  it('gives model-calling functions (they declare a model API key) the larger budget', () => {
    expect(BUNDLE_BUDGET_BYTES).toEqual({ default: 350 * 1024, modelCalling: 1024 * 1024 });
    expect(bundleBudget({ secrets: [] })).toBe(BUNDLE_BUDGET_BYTES.default);
    expect(bundleBudget({ secrets: ['ECHO_SECRET'] })).toBe(BUNDLE_BUDGET_BYTES.default);
    expect(bundleBudget({ secrets: ['OPENAI_API_KEY'] })).toBe(BUNDLE_BUDGET_BYTES.modelCalling);
    expect(bundleBudget({ secrets: ['API_KEY'] })).toBe(BUNDLE_BUDGET_BYTES.modelCalling);
    expect(bundleBudget({ secrets: ['API_KEYRING'] })).toBe(BUNDLE_BUDGET_BYTES.default);
  });

  it('ranks a bundle’s inputs by size, one entry per package', () => {
    const inputs = (entries: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(entries).map(([input, bytesInOutput]) => [input, { bytesInOutput }]),
      );
    const metafile = {
      inputs: {},
      outputs: {
        'dist/functions/a/index.mjs.map': { bytes: 1, inputs: {}, imports: [], exports: [] },
        'dist/functions/a/index.mjs': {
          bytes: 1,
          imports: [],
          exports: [],
          inputs: inputs({
            'node_modules/zod/v4/core/schemas.js': 300,
            'node_modules/zod/v4/locales/de.js': 200,
            'node_modules/@scope/pkg/index.js': 400,
            'node_modules/a/node_modules/b/index.js': 50,
            'functions/a/index.ts': 100,
            'src/runtime/worker/serve.ts': 10,
          }),
        },
      },
    } as unknown as Metafile;
    expect(largestInputs(metafile)).toEqual([
      { input: 'zod', bytes: 500 },
      { input: '@scope/pkg', bytes: 400 },
      { input: 'functions/a/index.ts', bytes: 100 },
    ]);
    expect(largestInputs(metafile, 10)).toHaveLength(5);
  });

  it('refuses a bundle over its budget, naming its size, its budget and its largest inputs', () => {
    const metafile = {
      inputs: {},
      outputs: {
        'dist/functions/a/index.mjs': {
          bytes: 1,
          imports: [],
          exports: [],
          inputs: {
            'node_modules/@langchain/core/dist/messages/base.js': { bytesInOutput: 300_000 },
            'functions/a/index.ts': { bytesInOutput: 100 },
          },
        },
      },
    } as unknown as Metafile;
    expect(overBudget({ secrets: [], bytes: 350 * 1024 }, metafile)).toBeUndefined();
    const problem = overBudget({ secrets: [], bytes: 400 * 1024 }, metafile);
    expect(problem).toContain('its bundle is 400.0 KiB, over its 350.0 KiB budget');
    expect(problem).toContain('largest inputs: @langchain/core 293.0 KiB, functions/a/index.ts');
    expect(
      overBudget({ secrets: ['OPENAI_API_KEY'], bytes: 400 * 1024 }, metafile),
    ).toBeUndefined();
  });

  it('prints the size report as an aligned table', () => {
    const limits = {
      timeoutMs: 1000,
      memoryMb: 128,
      concurrency: 1,
      minWorkers: 0,
      maxWorkers: 1,
      idleMs: 1000,
      retries: 0,
      queueSize: 8,
    };
    const manifest: Manifest = {
      version: contentVersion('m'),
      builtAt: new Date(0).toISOString(),
      functions: [
        {
          name: 'echo',
          description: '',
          limits,
          secrets: [],
          version: 'aaaaaaaaaaaa',
          bytes: 475_293,
          entry: 'functions/echo/index.mjs',
          external: [],
        },
        {
          name: 'store',
          description: '',
          limits,
          secrets: [],
          version: 'bbbbbbbbbbbb',
          bytes: 2048,
          entry: 'functions/store/index.mjs',
          external: ['better-sqlite3', 'x'],
        },
      ],
    };
    expect(sizeTable(manifest).split('\n')).toEqual([
      'function       size  version       external',
      'echo      464.2 KiB  aaaaaaaaaaaa  -',
      'store       2.0 KiB  bbbbbbbbbbbb  better-sqlite3, x',
    ]);
  });
});

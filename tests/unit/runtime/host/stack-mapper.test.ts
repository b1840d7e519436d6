import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StackMapper } from '../../../../src/runtime/host/stack-mapper.js';
import { tempDir } from '../../../helpers/tmp.js';

const tmp = tempDir('atolye-stack-mapper-');
afterAll(() => tmp.cleanup());

// A one-line bundle whose map says: generated line 1, column 0 comes from src/a.ts line 3 column 5
// (VLQ "AAEK": column 0, source 0, line +2, column +5).
const bundle = path.join(tmp.dir, 'index.mjs');
writeFileSync(bundle, 'throw new Error("x");\n');
writeFileSync(
  `${bundle}.map`,
  JSON.stringify({ version: 3, sources: ['../src/a.ts'], names: [], mappings: 'AAEK' }),
);

test('maps frames of its bundle to their source, by path and by file URL', () => {
  const mapper = new StackMapper(bundle);
  const stack = [
    'Error: x',
    `    at handle (${pathToFileURL(bundle).href}:1:1)`,
    `    at ${bundle}:1:1`,
    '    at node:internal/process/task_queues:105:5',
    '    at other (/elsewhere/index.mjs:1:1)',
  ].join('\n');
  const source = path.resolve(tmp.dir, '../src/a.ts');
  expect(mapper.mapStack(stack).split('\n')).toEqual([
    'Error: x',
    `    at handle (${source}:3:6)`,
    `    at ${source}:3:6`,
    '    at node:internal/process/task_queues:105:5',
    '    at other (/elsewhere/index.mjs:1:1)',
  ]);
});

test('leaves the stack as it was when the bundle has no readable map', () => {
  const lonely = path.join(tmp.dir, 'lonely.mjs');
  writeFileSync(lonely, '');
  writeFileSync(`${lonely}.map`, 'not json');
  const stack = `Error: x\n    at ${lonely}:1:1`;
  expect(new StackMapper(lonely).mapStack(stack)).toBe(stack);
  const missing = path.join(tmp.dir, 'missing.mjs');
  expect(new StackMapper(missing).mapStack(`Error\n    at ${missing}:2:3`)).toBe(
    `Error\n    at ${missing}:2:3`,
  );
});

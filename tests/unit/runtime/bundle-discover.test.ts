import path from 'node:path';
import { discoverFunctions } from '../../../src/runtime/bundle/index.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

describe('discoverFunctions', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('lists <name>/index.ts folders in name order, skipping helpers, hidden and _ folders', () => {
    writeFiles(dir.dir, {
      'fns/zeta/index.ts': '',
      'fns/alpha/index.ts': '',
      'fns/shared/util.ts': '',
      'fns/_private/index.ts': '',
      'fns/.cache/index.ts': '',
      'fns/README.md': '',
    });
    const fns = path.join(dir.dir, 'fns');
    expect(discoverFunctions(fns)).toEqual([
      { name: 'alpha', dir: path.join(fns, 'alpha'), entry: path.join(fns, 'alpha/index.ts') },
      { name: 'zeta', dir: path.join(fns, 'zeta'), entry: path.join(fns, 'zeta/index.ts') },
    ]);
    expect(discoverFunctions(fns, ['zeta']).map((fn) => fn.name)).toEqual(['zeta']);
    expect(discoverFunctions(fns, []).map((fn) => fn.name)).toEqual(['alpha', 'zeta']);
  });

  it('names unknown --only functions and the ones that exist', () => {
    expect(() => discoverFunctions(path.join(dir.dir, 'fns'), ['alpha', 'nope', 'gone'])).toThrow(
      `no function named "nope", "gone" in ${path.join(dir.dir, 'fns')}; there are: alpha, zeta`,
    );
  });

  it('fails on a missing folder, a file, and a folder without functions', () => {
    writeFiles(dir.dir, { 'empty/shared/util.ts': '', 'file.txt': '' });
    expect(() => discoverFunctions(path.join(dir.dir, 'missing'))).toThrow(
      /^no functions folder at /,
    );
    expect(() => discoverFunctions(path.join(dir.dir, 'file.txt'))).toThrow(
      /^no functions folder at /,
    );
    expect(() => discoverFunctions(path.join(dir.dir, 'empty'))).toThrow(
      /^no functions in .*empty \(expected <name>\/index\.ts\)$/,
    );
  });
});

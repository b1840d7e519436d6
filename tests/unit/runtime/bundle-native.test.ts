import path from 'node:path';
import {
  findPackageDir,
  isNativePackage,
  owningPackage,
  packageName,
} from '../../../src/runtime/bundle/native.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

describe('native module detection', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  beforeAll(() => {
    writeFiles(dir.dir, {
      'node_modules/gyp/package.json': { name: 'gyp' },
      'node_modules/gyp/binding.gyp': '{}',
      'node_modules/flagged/package.json': { name: 'flagged', gypfile: true },
      'node_modules/@scope/loader/package.json': {
        name: '@scope/loader',
        dependencies: { 'node-gyp-build': '^4' },
      },
      'node_modules/plain/package.json': { name: 'plain', dependencies: { zod: '^4' } },
      'node_modules/broken/package.json': '{ not json',
      'extra/late/package.json': { name: 'late' },
      'app/src/deep/file.ts': '',
    });
  });

  it.each([
    ['@scope/pkg/sub/path', '@scope/pkg'],
    ['@scope/pkg', '@scope/pkg'],
    ['pkg/sub', 'pkg'],
    ['pkg', 'pkg'],
  ])('takes the package name of %s', (specifier, name) => {
    expect(packageName(specifier)).toBe(name);
  });

  it('finds a package the way node does, then in the extra node paths', () => {
    const from = path.join(dir.dir, 'app/src/deep');
    expect(findPackageDir('gyp', from)).toBe(path.join(dir.dir, 'node_modules/gyp'));
    expect(findPackageDir('@scope/loader', from)).toBe(
      path.join(dir.dir, 'node_modules/@scope/loader'),
    );
    expect(findPackageDir('late', from)).toBeUndefined();
    expect(findPackageDir('late', from, [path.join(dir.dir, 'extra')])).toBe(
      path.join(dir.dir, 'extra/late'),
    );
  });

  it.each([
    ['gyp', true],
    ['flagged', true],
    ['@scope/loader', true],
    ['plain', false],
    ['broken', false],
  ])('calls %s native: %s', (name, native) => {
    expect(isNativePackage(path.join(dir.dir, 'node_modules', name))).toBe(native);
  });

  it('names the package a file belongs to', () => {
    expect(owningPackage('/a/node_modules/x/node_modules/y/build/y.node')).toBe('y');
    expect(owningPackage('/a/node_modules/@s/y/lib/index.js')).toBe('@s/y');
    expect(owningPackage('/a/functions/x/helper.js')).toBeUndefined();
    expect(owningPackage('/a/node_modules')).toBeUndefined();
  });
});

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtolyeError } from '../../../../src/errors.js';
import { findExecutable, locateBwrap } from '../../../../src/agent/sandbox/locate.js';
import { runSandboxed } from '../../../../src/agent/sandbox/index.js';
import { withEnv } from '../../../helpers/env.js';
import { tempDir } from '../../../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('atolye-locate-');
});
afterEach(() => tmp.cleanup());

function thrown(fn: () => unknown): AtolyeError {
  try {
    fn();
  } catch (error) {
    return error as AtolyeError;
  }
  throw new Error('expected a throw');
}

describe('locating bwrap', () => {
  it('finds the first executable on a search path and skips non-executables', () => {
    const [first, second] = ['a', 'b'].map((name) => path.join(tmp.dir, name)) as [string, string];
    mkdirSync(first);
    mkdirSync(second);
    writeFileSync(path.join(first, 'tool'), '#!/bin/sh\n');
    writeFileSync(path.join(second, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(second, 'tool'), 0o755);
    expect(findExecutable('tool', `${first}::${second}`)).toBe(path.join(second, 'tool'));
    expect(findExecutable('tool', first)).toBeUndefined();
  });

  it('fails closed with SANDBOX_UNAVAILABLE naming the Debian package', () => {
    const error = thrown(() => locateBwrap(path.join(tmp.dir, 'bwrap')));
    expect(error).toBeInstanceOf(AtolyeError);
    expect(error.code).toBe('SANDBOX_UNAVAILABLE');
    expect(error.message).toContain('apt-get install bubblewrap');
    expect(error.message).toContain('sandbox.mode = "none"');
  });

  it('fails closed when PATH holds no bwrap', () => {
    const error = thrown(() => withEnv({ PATH: tmp.dir }, () => locateBwrap()));
    expect(error.code).toBe('SANDBOX_UNAVAILABLE');
    expect(error.message).toContain('on PATH');
  });

  it('makes runSandboxed reject before running anything', async () => {
    const marker = path.join(tmp.dir, 'ran');
    await expect(
      runSandboxed({
        command: `touch ${marker}`,
        cwd: tmp.dir,
        timeoutMs: 1_000,
        limits: { cpuSeconds: 1, memoryMb: 64, fileSizeMb: 1, processes: 4 },
        outputCapBytes: 100,
        bwrapPath: '/nonexistent/bwrap',
      }),
    ).rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    expect(existsSync(marker)).toBe(false);
  });

  it('rejects invalid options with SANDBOX_INVALID_OPTIONS', async () => {
    await expect(
      runSandboxed({
        command: 'true',
        cwd: 'relative/dir',
        timeoutMs: 1_000,
        limits: { cpuSeconds: 1, memoryMb: 64, fileSizeMb: 1, processes: 0 },
        outputCapBytes: 100,
      }),
    ).rejects.toMatchObject({ code: 'SANDBOX_INVALID_OPTIONS' });
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createSandbox } from '../../../../src/agent/sandbox/index.js';
import type { AtolyeConfig } from '../../../../src/config/schema.js';
import { withEnv } from '../../../helpers/env.js';
import { tempDir } from '../../../helpers/tmp.js';

const SETTINGS: AtolyeConfig['sandbox'] = {
  mode: 'bwrap',
  timeoutMs: 15_000,
  cpuSeconds: 10,
  memoryMb: 1024,
  fileSizeMb: 16,
  processes: 32,
  outputCapBytes: 1_000,
};

let workspace: ReturnType<typeof tempDir>;
beforeEach(() => {
  workspace = tempDir('atolye-sandbox-');
  // Keep the loud "no isolation" warning out of the test output.
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  jest.restoreAllMocks();
  workspace.cleanup();
});

describe('createSandbox', () => {
  it('in bwrap mode runs commands isolated with the configured caps', async () => {
    const sandbox = createSandbox({ env: 'testing', sandbox: SETTINGS });
    const result = await sandbox.run('pwd; echo $GREETING > out.txt', {
      cwd: workspace.dir,
      env: { GREETING: 'merhaba' },
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: '/workspace\n', timedOut: false });
    expect(readFileSync(path.join(workspace.dir, 'out.txt'), 'utf8')).toBe('merhaba\n');
  });

  it('in bwrap mode fails closed with SANDBOX_UNAVAILABLE when bwrap is missing', async () => {
    const sandbox = createSandbox(
      { env: 'testing', sandbox: SETTINGS },
      { bwrapPath: path.join(workspace.dir, 'no-bwrap') },
    );
    await expect(sandbox.run('true', { cwd: workspace.dir })).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
      message: expect.stringContaining('apt-get install bubblewrap'),
    });
  });

  it('in none mode runs in the workspace with a cleared environment, timeout and output cap', async () => {
    await withEnv({ OPENAI_API_KEY: 'sk-parent-secret' }, async () => {
      const sandbox = createSandbox({ env: 'testing', sandbox: { ...SETTINGS, mode: 'none' } });
      const ok = await sandbox.run('pwd; echo written > file.txt; env; exit 3', {
        cwd: workspace.dir,
      });
      expect(ok.exitCode).toBe(3);
      expect(ok.stdout.startsWith(`${workspace.dir}\n`)).toBe(true);
      expect(ok.stdout).not.toContain('sk-parent-secret');
      expect(readFileSync(path.join(workspace.dir, 'file.txt'), 'utf8')).toBe('written\n');

      const slow = await sandbox.run('sleep 5 & wait', { cwd: workspace.dir, timeoutMs: 300 });
      expect(slow.timedOut).toBe(true);
      expect(slow.signal).toBe('SIGKILL');
      expect(slow.durationMs).toBeLessThan(3_000);

      const loud = await sandbox.run('seq 1 100000', { cwd: workspace.dir });
      expect(loud.truncated).toBe(true);
      expect(loud.stdout).toMatch(/^1\n2\n[\s\S]*…\[\d+ bytes omitted\]…[\s\S]*\n100000\n$/);
    });
  });

  it('rejects a workspace that does not exist', async () => {
    const sandbox = createSandbox({ env: 'testing', sandbox: { ...SETTINGS, mode: 'none' } });
    await expect(
      sandbox.run('true', { cwd: path.join(workspace.dir, 'missing') }),
    ).rejects.toMatchObject({ code: 'SANDBOX_WORKSPACE_MISSING' });
  });
});

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createSandbox } from '../../../../src/agent/sandbox/index.js';
import type { AtolyeConfig } from '../../../../src/config/schema.js';
import { loadConfig } from '../../../../src/config/load.js';

const SANDBOX: AtolyeConfig['sandbox'] = {
  mode: 'none',
  timeoutMs: 1_000,
  cpuSeconds: 1,
  memoryMb: 64,
  fileSizeMb: 1,
  processes: 4,
  outputCapBytes: 100,
};

afterEach(() => {
  jest.restoreAllMocks();
});

describe('createSandbox', () => {
  it('refuses mode "none" in production with a config error', () => {
    expect(() => createSandbox({ env: 'production', sandbox: SANDBOX })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('sandbox.mode is "none"'),
      }),
    );
  });

  it('warns loudly when mode "none" is active in development', () => {
    const writes: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    const sandbox = createSandbox({ env: 'development', sandbox: SANDBOX });
    expect(sandbox.mode).toBe('none');
    expect(writes.join('')).toContain('SANDBOX DISABLED');
  });

  it('is quiet in bwrap mode', () => {
    const writes: string[] = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    expect(createSandbox({ env: 'production', sandbox: { ...SANDBOX, mode: 'bwrap' } }).mode).toBe(
      'bwrap',
    );
    expect(writes.join('')).not.toContain('SANDBOX');
  });
});

describe('sandbox and workspace settings', () => {
  it('default to bwrap with the documented caps', () => {
    const { config } = loadConfig({ env: 'testing', environ: {} });
    expect(config.sandbox).toEqual({
      mode: 'bwrap',
      timeoutMs: 60_000,
      cpuSeconds: 60,
      memoryMb: 1024,
      fileSizeMb: 64,
      processes: 64,
      outputCapBytes: 65_536,
    });
    expect(config.workspace.root).toBe('data/workspaces');
  });

  it('read ATOLYE_SANDBOX_MODE and ATOLYE_WORKSPACE_ROOT', () => {
    const { config, sourceOf } = loadConfig({
      env: 'testing',
      environ: { ATOLYE_SANDBOX_MODE: 'none', ATOLYE_WORKSPACE_ROOT: '/srv/ws' },
    });
    expect(config.sandbox.mode).toBe('none');
    expect(config.workspace.root).toBe('/srv/ws');
    expect(sourceOf('sandbox.mode')).toBe('environment variable ATOLYE_SANDBOX_MODE');
  });

  it('reject an unknown mode and a non-positive cap', () => {
    expect(() =>
      loadConfig({
        env: 'testing',
        environ: { ATOLYE_SANDBOX_MODE: 'docker' },
        overrides: { 'sandbox.processes': '0' },
      }),
    ).toThrow(/sandbox\.mode[\s\S]*sandbox\.processes: must be a positive whole number/);
  });
});

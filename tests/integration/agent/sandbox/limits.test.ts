import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runSandboxed, type RunOptions } from '../../../../src/agent/sandbox/index.js';
import { tempDir } from '../../../helpers/tmp.js';

const LIMITS = { cpuSeconds: 10, memoryMb: 1024, fileSizeMb: 16, processes: 32 };
const SIGXCPU = 24;
const SIGXFSZ = 25;

let workspace: ReturnType<typeof tempDir>;
beforeEach(() => {
  workspace = tempDir('atolye-sandbox-');
});
afterEach(() => workspace.cleanup());

function run(command: string, extra: Partial<RunOptions> = {}) {
  return runSandboxed({
    command,
    cwd: workspace.dir,
    timeoutMs: 15_000,
    limits: LIMITS,
    outputCapBytes: 65_536,
    ...extra,
  });
}

/** Processes on the host, seen from outside any sandbox. */
function hostProcessCount(): number {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
}

describe('runSandboxed resource limits', () => {
  it('caps the number of processes (bounded fork loop stops at the limit)', async () => {
    writeFileSync(
      path.join(workspace.dir, 'forks.py'),
      [
        'import os, time',
        'n = 0',
        'while n < 500:',
        '    try:',
        '        pid = os.fork()',
        '    except OSError:',
        '        break',
        '    if pid == 0:',
        '        time.sleep(2); os._exit(0)',
        '    n += 1',
        'print("forked", n)',
      ].join('\n'),
    );
    const result = await run('python3 forks.py', { limits: { ...LIMITS, processes: 16 } });
    const forked = Number(/forked (\d+)/.exec(result.stdout)?.[1]);
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(16);
  });

  it('contains a fork bomb: the call returns at the timeout and the host keeps its pids', async () => {
    const before = hostProcessCount();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, hostProcessCount());
    }, 50);
    try {
      // The shell keeps the sandbox alive (a builtin loop needs no fork) while the bomb runs.
      const result = await run('bomb() { bomb | bomb & }; bomb; while :; do :; done', {
        timeoutMs: 2_000,
        limits: { ...LIMITS, processes: 16 },
      });
      // Usually the timeout ends it; on a busy machine bash may give up forking first and exit
      // with an error. Either way the call returns in bounded time, and that is the point.
      expect(result.timedOut || result.exitCode !== 0).toBe(true);
      expect(result.durationMs).toBeLessThan(6_000);
    } finally {
      clearInterval(sampler);
    }
    // 16 sandbox processes plus bwrap and whatever else the machine runs meanwhile.
    expect(peak - before).toBeLessThan(16 + 40);
  });

  it('kills an endless loop at the wall-clock timeout and says so', async () => {
    const result = await run('echo started; while :; do :; done', { timeoutMs: 1_000 });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode === null || result.exitCode === 128 + 9).toBe(true);
    expect(result.stdout).toBe('started\n');
    expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('stops a CPU-bound command at the CPU cap before the timeout', async () => {
    const result = await run('while :; do :; done', {
      timeoutMs: 10_000,
      limits: { ...LIMITS, cpuSeconds: 1 },
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(128 + SIGXCPU);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('caps the address space', async () => {
    const result = await run(
      'python3 -c "b = bytearray(512 * 1024 * 1024)" 2>&1 || echo failed:$?',
      { limits: { ...LIMITS, memoryMb: 256 } },
    );
    expect(result.stdout).toContain('MemoryError');
    expect(result.stdout).toContain('failed:1');
  });

  it('caps file size', async () => {
    const result = await run('head -c 3145728 /dev/zero > big.bin', {
      limits: { ...LIMITS, fileSizeMb: 1 },
    });
    expect(result.exitCode).toBe(128 + SIGXFSZ);
    expect(statSync(path.join(workspace.dir, 'big.bin')).size).toBe(1024 * 1024);
  });

  it('keeps head and tail of huge output with a marker, without buffering it all', async () => {
    const result = await run(
      'echo BEGIN; head -c 20000000 /dev/zero | tr "\\0" x; echo; echo END; echo ERR >&2',
      { outputCapBytes: 1_000 },
    );
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.stdout.startsWith('BEGIN\n')).toBe(true);
    expect(result.stdout.endsWith('\nEND\n')).toBe(true);
    expect(result.stdout).toMatch(/\n…\[\d+ bytes omitted\]…\n/);
    const omitted = Number(/…\[(\d+) bytes omitted\]…/.exec(result.stdout)?.[1]);
    expect(omitted).toBe(6 + 20_000_000 + 1 + 4 - 1_000);
    expect(result.stdout.length).toBeLessThan(1_100);
    expect(result.stderr).toBe('ERR\n');
  });
});

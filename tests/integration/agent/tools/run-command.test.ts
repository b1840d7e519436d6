import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import {
  executeToolCall,
  type CommandResult,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('run_command through an injected runner', () => {
  let tmp: { dir: string; cleanup(): void };
  let calls: { command: string; cwd: string; timeoutMs: number }[];
  let reply: CommandResult;
  const runner: RunCommand = async (command, options) => {
    calls.push({ command, ...options });
    return reply;
  };
  const run = (args: unknown, limits = {}) =>
    executeToolCall(
      { id: 'r1', name: 'run_command', args },
      { workspace: tmp.dir, runCommand: runner, limits },
    );

  beforeEach(() => {
    tmp = tempDir();
    calls = [];
    reply = { exitCode: 0, stdout: 'ok\n', stderr: '', timedOut: false, durationMs: 42 };
  });
  afterEach(() => tmp.cleanup());

  it('runs in the workspace root with the default timeout and reports the result', async () => {
    const result = await run({ command: 'npm test' });
    expect(calls).toEqual([
      { command: 'npm test', cwd: realpathSync(tmp.dir), timeoutMs: 120_000 },
    ]);
    expect(result.observation).toMatchObject({
      ok: true,
      command: {
        command: 'npm test',
        exitCode: 0,
        stdout: 'ok\n',
        stderr: '',
        timedOut: false,
        durationMs: 42,
      },
    });
    expect(result.observation.content).toBe(
      '$ npm test\nexit code 0 in 42 ms\n--- stdout ---\nok\n\n--- stderr: (empty) ---',
    );
    expect(result.filesChanged).toEqual([]);
  });

  it('runs in a subdirectory and caps the requested timeout', async () => {
    mkdirSync(path.join(tmp.dir, 'pkg'));
    await run({ command: 'ls', cwd: 'pkg', timeoutMs: 1_000_000 }, { maxCommandTimeoutMs: 5000 });
    await run({ command: 'ls', cwd: 'pkg/', timeoutMs: 300 });
    expect(calls.map((c) => [c.cwd, c.timeoutMs])).toEqual([
      [path.join(realpathSync(tmp.dir), 'pkg'), 5000],
      [path.join(realpathSync(tmp.dir), 'pkg'), 300],
    ]);
  });

  it('reports failures, timeouts and signals, timing the call itself when the runner does not', async () => {
    reply = { exitCode: 2, stdout: '', stderr: 'boom\n', timedOut: false };
    const failed = await run({ command: 'false' });
    expect(failed.observation).toMatchObject({ ok: false, code: 'COMMAND_FAILED' });
    expect(failed.observation.content).toMatch(
      /^\$ false\nexit code 2 in \d+ ms\n--- stdout: \(empty\) ---\n--- stderr ---\nboom\n$/,
    );
    expect(failed.observation.command?.durationMs).toEqual(expect.any(Number));

    reply = { exitCode: null, stdout: 'partial', stderr: '', timedOut: true, durationMs: 300 };
    const slow = await run({ command: 'sleep 9', timeoutMs: 300 });
    expect(slow.observation).toMatchObject({
      ok: false,
      code: 'COMMAND_TIMED_OUT',
      command: { timedOut: true },
    });
    expect(slow.observation.content).toContain('timed out after 300 ms');

    reply = { exitCode: null, stdout: '', stderr: '', timedOut: false, durationMs: 1 };
    const killed = await run({ command: 'kill -9 $$' });
    expect(killed.observation.content).toContain('exit code none (killed by a signal)');
  });

  it('cuts each stream head and tail so stderr survives a flood on stdout', async () => {
    reply = {
      exitCode: 1,
      stdout: `START${'o'.repeat(10_000)}END`,
      stderr: 'Error: assertion failed\n',
      timedOut: false,
      durationMs: 5,
    };
    const result = await run({ command: 'npm test' }, { maxOutputBytes: 1000 });
    const { content } = result.observation;
    expect(content).toMatch(/--- stdout ---\nSTARTo+\n…\[9508 bytes omitted\]…\no+END\n/);
    expect(content).toContain('--- stderr ---\nError: assertion failed');
    expect(result.observation.command?.stdout).toHaveLength(10_008);
  });

  it('turns a runner that throws (e.g. no sandbox available) into an observation', async () => {
    const result = await executeToolCall(
      { id: 'r2', name: 'run_command', args: { command: 'ls' } },
      {
        workspace: tmp.dir,
        runCommand: async () => {
          throw new Error('bubblewrap (bwrap) is not installed; install the bubblewrap package');
        },
      },
    );
    expect(result.observation).toEqual({
      ok: false,
      code: 'TOOL_FAILED',
      content:
        'run_command failed: bubblewrap (bwrap) is not installed; install the bubblewrap package',
    });
  });

  it('caps any observation at twice the output budget as a last resort', async () => {
    const result = await executeToolCall(
      { id: 'f', name: 'finish', args: { summary: 's'.repeat(5000) } },
      { workspace: tmp.dir, runCommand: runner, limits: { maxOutputBytes: 1000 } },
    );
    expect(result.observation.content).toMatch(/…\[3010 bytes omitted\]…/);
    expect(Buffer.byteLength(result.observation.content)).toBeLessThan(2100);
  });

  it('names bad arguments without calling the runner', async () => {
    const result = await run({ command: '', timeoutMs: -5 });
    expect(result.observation.content).toMatch(/- command: .*\n- timeoutMs: /);
    expect(calls).toEqual([]);
  });
});

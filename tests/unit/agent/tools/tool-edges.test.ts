import {
  executeToolCall,
  type CommandResult,
  type ExecuteContext,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

// The edges of the file and command tools, as the model sees them: limits at exactly their
// value, the exact words of a refusal, the outcome of a command by its exit code.

const noCommands: RunCommand = async () => {
  throw new Error('no command should run');
};

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('atolye-tool-edges-');
});
afterEach(() => tmp.cleanup());

const ctxWith = (extra: Partial<ExecuteContext> = {}): ExecuteContext => ({
  workspace: tmp.dir,
  runCommand: noCommands,
  ...extra,
});

const call = (name: string, args: unknown, ctx = ctxWith()) =>
  executeToolCall({ id: `${name}-1`, name, args }, ctx);

describe('file size limits', () => {
  it('reads a file of exactly maxFileBytes and refuses one byte more', async () => {
    writeFiles(tmp.dir, { 'at.txt': 'x'.repeat(64), 'over.txt': 'x'.repeat(65) });
    const ctx = ctxWith({ limits: { maxFileBytes: 64 } });
    expect((await call('read_file', { path: 'at.txt' }, ctx)).observation.ok).toBe(true);
    expect((await call('read_file', { path: 'over.txt' }, ctx)).observation).toMatchObject({
      ok: false,
      code: 'FILE_TOO_LARGE',
    });
  });
});

describe('read_file', () => {
  it('names a binary file and its size instead of showing it', async () => {
    writeFileSync(path.join(tmp.dir, 'blob.bin'), Buffer.from([1, 0, 2, 3]));
    expect((await call('read_file', { path: 'blob.bin' })).observation).toEqual({
      ok: false,
      code: 'BINARY_FILE',
      content: 'blob.bin looks binary (4 bytes); not shown.',
    });
  });
});

describe('editing a file that is not UTF-8', () => {
  beforeEach(() => {
    writeFileSync(path.join(tmp.dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  });

  it('edit_file refuses, naming itself and what to use instead', async () => {
    const edit = await call('edit_file', { path: 'latin1.txt', oldText: 'caf', newText: 'tea' });
    expect(edit.observation).toEqual({
      ok: false,
      code: 'NOT_UTF8_TEXT',
      content:
        'latin1.txt is not UTF-8 text; edit_file would alter its other bytes. File unchanged; ' +
        'use run_command with a tool made for it.',
    });
  });

  it('insert_lines refuses, naming itself', async () => {
    const insert = await call('insert_lines', { path: 'latin1.txt', afterLine: 1, text: 'x' });
    expect(insert.observation).toMatchObject({ ok: false, code: 'NOT_UTF8_TEXT' });
    expect(insert.observation.content).toContain('insert_lines would alter its other bytes');
  });
});

describe('list_files sizes', () => {
  it('switches units at exactly 1 KiB and 1 MiB', async () => {
    writeFiles(tmp.dir, {
      'a.txt': 'x'.repeat(1023),
      'b.txt': 'x'.repeat(1024),
      'c.txt': 'x'.repeat(1024 * 1024 - 1),
      'd.txt': 'x'.repeat(1024 * 1024),
    });
    const list = await call('list_files', {});
    expect(list.observation.content.split('\n').slice(1)).toEqual([
      'a.txt (1023 B)',
      'b.txt (1.0 KB)',
      'c.txt (1024.0 KB)',
      'd.txt (1.0 MB)',
    ]);
  });
});

describe('run_command outcome', () => {
  const runner =
    (result: Partial<CommandResult>): RunCommand =>
    async () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, ...result });

  it('is ok with no code on exit code 0, COMMAND_FAILED otherwise', async () => {
    const passed = await call(
      'run_command',
      { command: 'true' },
      ctxWith({ runCommand: runner({ durationMs: 12 }) }),
    );
    expect(passed.observation).toMatchObject({ ok: true });
    expect(passed.observation).not.toHaveProperty('code');
    expect(passed.observation.content.split('\n').slice(0, 2)).toEqual([
      '$ true',
      'exit code 0 in 12 ms',
    ]);

    const failed = await call(
      'run_command',
      { command: 'false' },
      ctxWith({ runCommand: runner({ exitCode: 1, durationMs: 3 }) }),
    );
    expect(failed.observation).toMatchObject({ ok: false, code: 'COMMAND_FAILED' });
  });

  it('measures the duration itself when the runner does not report one', async () => {
    const result = await call(
      'run_command',
      { command: 'true' },
      ctxWith({ runCommand: runner({}) }),
    );
    const [, status] = result.observation.content.split('\n');
    const ms = Number(/^exit code 0 in (\d+) ms$/.exec(status ?? '')?.[1]);
    // A fake runner answers at once: far under the time since the process started.
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(performance.now());
    expect(result.observation.command?.durationMs).toBe(ms);
  });
});

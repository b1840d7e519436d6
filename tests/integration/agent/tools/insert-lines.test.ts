import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  executeToolCall,
  type ExecuteContext,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

const unusedRunner: RunCommand = async () => {
  throw new Error('insert_lines never runs commands');
};

describe('insert_lines on a real workspace', () => {
  let tmp: { dir: string; cleanup(): void };
  let ctx: ExecuteContext;
  const call = (name: string, args: unknown) =>
    executeToolCall({ id: `${name}-1`, name, args }, ctx);
  const onDisk = (file: string) => readFileSync(path.join(tmp.dir, file));

  beforeEach(() => {
    tmp = tempDir();
    ctx = { workspace: tmp.dir, runCommand: unusedRunner };
    writeFiles(tmp.dir, { 'app.py': 'import os\n\ndef main():\n    pass\n' });
  });
  afterEach(() => tmp.cleanup());

  it('inserts after the line read_file numbers, and reports the new line numbers', async () => {
    const read = await call('read_file', { path: 'app.py', startLine: 3, endLine: 3 });
    expect(read.observation.content).toBe('app.py (lines 3-3 of 4)\n3\tdef main():');

    const result = await call('insert_lines', {
      path: 'app.py',
      afterLine: 3,
      text: '    """Entry point."""\n    print("hi")',
    });
    expect(result.observation).toEqual({
      ok: true,
      content: 'Inserted 2 lines into app.py after line 3 (now lines 4-5 of 6).',
      filesChanged: ['app.py'],
    });
    expect(result.filesChanged).toEqual(['app.py']);
    expect(onDisk('app.py').toString()).toBe(
      'import os\n\ndef main():\n    """Entry point."""\n    print("hi")\n    pass\n',
    );
  });

  it('inserts at the top with 0 and appends with the last line number', async () => {
    await call('insert_lines', { path: 'app.py', afterLine: 0, text: '#!/usr/bin/env python3\n' });
    const appended = await call('insert_lines', { path: 'app.py', afterLine: 5, text: 'main()' });
    expect(appended.observation.content).toBe(
      'Inserted 1 line into app.py after line 5 (now lines 6-6 of 6).',
    );
    expect(onDisk('app.py').toString()).toBe(
      '#!/usr/bin/env python3\nimport os\n\ndef main():\n    pass\nmain()\n',
    );
  });

  it('ends a last line that has no newline before appending, and keeps CRLF files CRLF', async () => {
    writeFiles(tmp.dir, { 'bare.txt': 'a\nb', 'dos.txt': 'a\r\nb\r\n', 'empty.txt': '' });
    await call('insert_lines', { path: 'bare.txt', afterLine: 2, text: 'c' });
    expect(onDisk('bare.txt').toString()).toBe('a\nb\nc\n');
    await call('insert_lines', { path: 'dos.txt', afterLine: 1, text: 'x\ny\n' });
    expect(onDisk('dos.txt').toString()).toBe('a\r\nx\r\ny\r\nb\r\n');
    await call('insert_lines', { path: 'empty.txt', afterLine: 0, text: 'first' });
    expect(onDisk('empty.txt').toString()).toBe('first\n');
  });

  it('leaves the file byte-identical on every error', async () => {
    const before = onDisk('app.py');
    const past = await call('insert_lines', { path: 'app.py', afterLine: 5, text: 'x' });
    expect(past.observation).toEqual({
      ok: false,
      code: 'LINE_OUT_OF_RANGE',
      content: 'app.py has 4 lines; afterLine 5 is past the end (use 4 to append). File unchanged.',
    });
    expect(past.filesChanged).toEqual([]);
    for (const args of [
      { path: 'app.py', afterLine: -1, text: 'x' },
      { path: 'app.py', afterLine: 1.5, text: 'x' },
      { path: 'app.py', afterLine: 1, text: '' },
    ]) {
      expect((await call('insert_lines', args)).observation.code).toBe('INVALID_ARGUMENTS');
    }
    ctx.limits = { maxFileBytes: 10 };
    expect(
      (await call('insert_lines', { path: 'app.py', afterLine: 1, text: 'x' })).observation.code,
    ).toBe('FILE_TOO_LARGE');
    expect(onDisk('app.py').equals(before)).toBe(true);

    const latin1 = Buffer.from('caf\xe9\n', 'latin1');
    writeFileSync(path.join(tmp.dir, 'latin1.txt'), latin1);
    const notUtf8 = await call('insert_lines', { path: 'latin1.txt', afterLine: 1, text: 'x' });
    expect(notUtf8.observation).toMatchObject({ ok: false, code: 'NOT_UTF8_TEXT' });
    expect(onDisk('latin1.txt').equals(latin1)).toBe(true);
  });

  it('refuses paths outside the workspace and does not create missing files', async () => {
    const outside = await call('insert_lines', { path: '../x.py', afterLine: 0, text: 'x' });
    expect(outside.observation).toMatchObject({ ok: false, code: 'PATH_OUTSIDE_WORKSPACE' });
    const missing = await call('insert_lines', { path: 'new.py', afterLine: 0, text: 'x' });
    expect(missing.observation).toEqual({
      ok: false,
      code: 'PATH_NOT_FOUND',
      content: 'new.py does not exist.',
    });
  });
});

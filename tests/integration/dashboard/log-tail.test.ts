import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tailChannel } from '../../../src/dashboard/index.js';
import { tempDir } from '../../helpers/tmp.js';

// tailChannel against real files large enough to be read in several chunks.

let root: ReturnType<typeof tempDir>;

beforeAll(() => {
  root = tempDir('atolye-log-tail-');
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const runId = i % 3 === 0 ? 'run-a' : 'run-b';
    // ≈ 120 bytes a line: 6000 lines span about three 256 KB chunks.
    lines.push(
      JSON.stringify({ ts: `t${i}`, level: 'info', msg: `line ${i}`, runId, pad: 'x'.repeat(60) }),
    );
    if (i === 10) lines.push('not json at all', '[1, 2]', '');
  }
  writeFileSync(path.join(root.dir, 'agent-2026-01-01.log'), `${lines.join('\n')}\n`);
  // The live file is reached through the channel's symlink, as the logging writes it.
  symlinkSync('agent-2026-01-01.log', path.join(root.dir, 'agent.log'));
  mkdirSync(path.join(root.dir, 'empty'));
});

afterAll(() => root?.cleanup());

test('the last lines, oldest first, across chunk boundaries', async () => {
  const lines = await tailChannel(root.dir, 'agent', { limit: 5000 });
  expect(lines).toHaveLength(5000);
  expect(lines[0]?.msg).toBe('line 1000');
  expect(lines.at(-1)?.msg).toBe('line 5999');
  // No line is lost or split where two chunks meet.
  expect(lines.map((line) => line.msg)).toEqual(
    Array.from({ length: 5000 }, (_, i) => `line ${i + 1000}`),
  );
});

test('only one run, reading back as far as it takes; lines that are not JSON objects are skipped', async () => {
  const lines = await tailChannel(root.dir, 'agent', { limit: 1000, runId: 'run-a' });
  expect(lines).toHaveLength(1000);
  expect(lines.every((line) => line.runId === 'run-a')).toBe(true);
  expect(lines.at(-1)?.msg).toBe('line 5997');

  const everything = await tailChannel(root.dir, 'agent', { limit: 100_000 });
  expect(everything).toHaveLength(6000);
});

test('a channel with no file yet has no lines', async () => {
  expect(await tailChannel(path.join(root.dir, 'empty'), 'errors', { limit: 10 })).toEqual([]);
});

import { describeFailure } from '../../../src/client/step-failure.js';
import {
  describeEnd,
  formatDuration,
  oneLine,
  RunProgress,
  shortArgs,
  Spinner,
} from '../../../src/cli/run-progress.js';
import { captureOutput } from '../../helpers/output.js';

// RunProgress fed stream parts directly: what it prints, what it remembers.

function progress(quiet = false): { p: RunProgress; out: ReturnType<typeof captureOutput> } {
  const out = captureOutput();
  return { p: new RunProgress(out, { quiet }), out };
}

describe('RunProgress', () => {
  it('takes the run id from the first valid metadata only and remembers the last event id', () => {
    const { p, out } = progress();
    p.event({ event: 'metadata', data: { nope: true }, id: '1' });
    expect(p.runId).toBeUndefined();
    p.event({ event: 'metadata', data: { run_id: 'run-a' }, id: '2' });
    p.event({ event: 'metadata', data: { run_id: 'run-b' } });
    expect(p.runId).toBe('run-a');
    expect(p.lastEventId).toBe('2');
    expect(out.stdout()).toBe('run run-a');
  });

  it('prints a bare line for a step whose update is not an object, and ignores non-record updates', () => {
    const { p, out } = progress();
    p.event({ event: 'updates', data: { plan: 'just a string' } });
    p.event({ event: 'updates', data: 'not a record' });
    p.event({ event: 'updates', data: { act: null } });
    const lines = out.stdout().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ {2}plan {6}\d+ ms$/);
    expect(lines[1]).toMatch(/^ {2}act\s+\d+ ms$/);
  });

  it('prints tokens, a failed step, tool calls and command results with and without exit codes', () => {
    const { p, out } = progress();
    p.event({
      event: 'updates',
      data: {
        act: {
          usage: [{ inputTokens: 10, outputTokens: 5, costUsd: 0.1 }],
          error: { code: 'BOOM', message: 'it broke' },
          pendingToolCalls: [
            { id: 'c1', name: 'write_file', args: { path: 'a.txt', content: { x: 1 } } },
            { id: 'c2', name: 'list', args: null },
          ],
          commandResults: [
            { command: 'npm   test\n--silent', exitCode: 0 },
            { command: 'sleep 999', exitCode: null },
          ],
          filesChanged: ['a.txt', 'b.txt', 'a.txt'],
        },
      },
    });
    const text = out.stdout();
    expect(text).toMatch(/^ {2}act\s+\d+ ms {2}15 tokens$/m);
    expect(text).toMatch(/^ {6}✗ act failed: BOOM: it broke$/m);
    expect(text).toContain('      → write_file path=a.txt content={"x":1}');
    expect(text).toMatch(/^ {6}→ list$/m);
    expect(text).toContain('      $ npm test --silent (exit 0)');
    expect(text).toContain('      $ sleep 999 (no exit code)');
    expect(p.filesChanged).toEqual(['a.txt', 'b.txt']);
  });

  it("names a step's failure handler by its step and says how many attempts it took", () => {
    const { p, out } = progress();
    p.event({
      event: 'updates',
      data: {
        __error_handler__plan: {
          error: {
            code: 'MODEL_KEY_MISSING',
            message: 'step plan failed: No model API key: set OPENAI_API_KEY (after 3 attempts)',
          },
        },
      },
    });
    const lines = out.stdout().split('\n');
    expect(lines[0]).toMatch(/^ {2}plan\s+\d+ ms$/);
    expect(lines[1]).toBe(
      '      ✗ plan failed after 3 attempts: MODEL_KEY_MISSING: No model API key: set OPENAI_API_KEY',
    );
    expect(out.stdout()).not.toContain('__error_handler__');
  });

  it('describeFailure takes the step from the message when it is not given', () => {
    expect(
      describeFailure({ code: 'X', message: 'step review failed: bad (after 2 attempts)' }),
    ).toBe('review failed after 2 attempts: X: bad');
    expect(describeFailure({ code: 'RUN_CANCELLED', message: 'cancelled by the user' })).toBe(
      'failed: RUN_CANCELLED: cancelled by the user',
    );
  });

  it('keeps values, the error message in both shapes, and the end', () => {
    const { p, out } = progress(true);
    p.event({ event: 'values', data: { summary: 'done' } });
    p.event({ event: 'values', data: 42 });
    expect(p.values).toEqual({ summary: 'done' });
    p.event({ event: 'error', data: { error: 'RunError', message: 'bad thing' } });
    expect(p.error).toBe('RunError: bad thing');
    p.event({ event: 'error', data: { message: 'only a message' } });
    expect(p.error).toBe('only a message');
    p.event({ event: 'error', data: ['odd'] });
    expect(p.error).toBe('["odd"]');
    p.event({ event: 'unknown', data: {} });
    expect(p.ended).toBe(false);
    p.event({ event: 'end', data: null });
    expect(p.ended).toBe(true);
    // Quiet: nothing printed, even the metadata line.
    p.event({ event: 'metadata', data: { run_id: 'quiet-run' } });
    expect(out.stdout()).toBe('');
    expect(p.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('clears a shown spinner before printing a line', () => {
    const writes: string[] = [];
    const stream = { write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
    const spinner = new Spinner(stream, 'working…');
    const out = captureOutput();
    const p = new RunProgress(out, { quiet: false, spinner });
    // Not shown yet: clearing writes nothing.
    p.print('first');
    expect(writes).toEqual([]);
    (spinner as unknown as { draw(): void }).draw();
    const ESC = String.fromCharCode(27);
    expect(writes.at(-1)?.startsWith(`\r${ESC}[K`)).toBe(true);
    expect(writes.at(-1)).toMatch(/\S working… \d+ ms$/);
    p.print('second');
    expect(writes.at(-1)).toBe('\r\x1b[K');
    spinner.start();
    spinner.stop();
    expect(out.stdout()).toBe('first\nsecond');
  });
});

describe('formatting helpers', () => {
  it('describeEnd without files or summary', () => {
    const text = describeEnd(
      {
        run_id: 'r1',
        thread_id: 't1',
        status: 'error',
        usage: { input_tokens: 1, output_tokens: 2, cost_usd: 0.5 },
      } as Parameters<typeof describeEnd>[0],
      [],
      null,
      1500,
    );
    expect(text.split('\n')).toEqual([
      '',
      'no files changed',
      '',
      'run r1 error in 1.5 s · 3 tokens · $0.5000',
      'files: npx atolye files t1',
    ]);
  });

  it('shortArgs, oneLine and formatDuration', () => {
    expect(shortArgs(undefined)).toBe('');
    expect(shortArgs(['a', 1])).toBe('["a",1]');
    expect(shortArgs('text')).toBe('"text"');
    expect(shortArgs({ u: undefined })).toBe('u=');
    expect(shortArgs({ long: 'x'.repeat(100) })).toBe(`long=${'x'.repeat(39)}…`);
    expect(oneLine('  a \n b  ', 10)).toBe('a b');
    expect(oneLine('abcdef', 4)).toBe('abc…');
    expect(formatDuration(999.4)).toBe('999 ms');
    expect(formatDuration(61_000)).toBe('61.0 s');
  });
});

import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { eachLine, LineTail } from '../../../../src/runtime/host/lines.js';

// What the host keeps of a worker's output: lines, long ones cut, and the line that says why a
// worker died.

const MAX = 16_384;

async function linesOf(chunks: string[]): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  eachLine(stream, (line) => lines.push(line));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await once(stream, 'end');
  return lines;
}

describe('eachLine', () => {
  it('joins a line split across chunks and ends with the last unterminated one', async () => {
    expect(await linesOf(['hel', 'lo\r\nwor', 'ld\n\n  \nlast'])).toEqual([
      'hello',
      'world',
      'last',
    ]);
  });

  it('keeps a line of exactly the limit whole, and cuts a longer one without waiting for its end', async () => {
    expect(await linesOf(['a'.repeat(MAX), '\n'])).toEqual(['a'.repeat(MAX)]);
    const long = await linesOf(['b'.repeat(MAX + 1), 'tail\n']);
    expect(long).toEqual([`${'b'.repeat(MAX)}…`, 'tail']);
  });

  it('does not repeat a line at the end of the stream', async () => {
    expect(await linesOf(['one\n'])).toEqual(['one']);
  });
});

describe('LineTail.summary', () => {
  const tail = (lines: string[]) => {
    const t = new LineTail();
    for (const line of lines) t.push(line);
    return t;
  };

  it("prefers V8's FATAL ERROR line", () => {
    expect(
      tail([
        'FATAL ERROR: Reached heap limit Allocation failed',
        'TypeError: later',
        '    at x (y.js:1:1)',
      ]).summary(),
    ).toBe('FATAL ERROR: Reached heap limit Allocation failed');
  });

  it('then the last error line of a stack trace, indented or uncaught', () => {
    expect(
      tail([
        'starting',
        '  Uncaught RangeError: too deep',
        '    at f (a.js:1:1)',
        'Node.js v24.21.0',
      ]).summary(),
    ).toBe('Uncaught RangeError: too deep');
    expect(tail(['x', 'my.ns.CustomException: broke', '    at g (b.js:2:2)']).summary()).toBe(
      'my.ns.CustomException: broke',
    );
  });

  it('else the last line that is not noise, and nothing for no lines', () => {
    expect(tail(['listening', 'out of disk', '    at h (c.js:3:3)', 'Node.js v24']).summary()).toBe(
      'out of disk',
    );
    expect(tail([]).summary()).toBeUndefined();
  });
});

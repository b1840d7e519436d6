import { describe, expect, it } from '@jest/globals';
import { BoundedOutput } from '../../../../src/agent/sandbox/output.js';

describe('BoundedOutput', () => {
  it('keeps everything up to the cap, without a marker', () => {
    const output = new BoundedOutput(10);
    output.push(Buffer.from('hello'));
    output.push(Buffer.from('world'));
    expect(output.truncated).toBe(false);
    expect(output.toString()).toBe('helloworld');
  });

  it('keeps head and tail across chunk boundaries and counts what it dropped', () => {
    const output = new BoundedOutput(7);
    for (const chunk of ['ab', 'cdef', 'ghij', 'k', 'lmnopq', 'rs'])
      output.push(Buffer.from(chunk));
    expect(output.truncated).toBe(true);
    expect(output.omittedBytes).toBe(19 - 7);
    expect(output.toString()).toBe('abcd\n…[12 bytes omitted]…\nqrs');
  });

  it('keeps the tail of a single chunk larger than the cap', () => {
    const output = new BoundedOutput(4);
    output.push(Buffer.from('0123456789'));
    expect(output.toString()).toBe('01\n…[6 bytes omitted]…\n89');
  });

  it('with a cap of one byte keeps only the head', () => {
    const output = new BoundedOutput(1);
    output.push(Buffer.from('xyz'));
    expect(output.toString()).toBe('x\n…[2 bytes omitted]…\n');
  });
});

import { capText } from '../../../../src/agent/tools/index.js';

describe('capText', () => {
  it('leaves text within the budget alone', () => {
    expect(capText('hello', 5)).toEqual({ text: 'hello', omittedBytes: 0 });
  });

  it('keeps head and tail around a marker naming the omitted byte count', () => {
    const text = `${'a'.repeat(100)}${'m'.repeat(800)}${'z'.repeat(100)}`;
    const { text: out, omittedBytes } = capText(text, 200);
    expect(omittedBytes).toBe(800);
    expect(out).toBe(`${'a'.repeat(100)}\n…[800 bytes omitted]…\n${'z'.repeat(100)}`);
  });

  it('never splits a multi-byte character', () => {
    const text = 'ş'.repeat(100); // 2 bytes each
    const { text: out, omittedBytes } = capText(text, 51);
    expect(out).not.toContain('\uFFFD');
    const [head, tail] = out.split(/\n…\[\d+ bytes omitted\]…\n/);
    expect(Buffer.byteLength(head ?? '') + Buffer.byteLength(tail ?? '') + omittedBytes).toBe(200);
  });
});

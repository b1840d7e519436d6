import type { Output } from '../../src/cli/output.js';

/** An Output that keeps what the CLI printed, for assertions. */
export function captureOutput(): Output & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}

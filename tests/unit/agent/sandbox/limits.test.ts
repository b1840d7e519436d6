import { describe, expect, it } from '@jest/globals';
import { prlimitArgs } from '../../../../src/agent/sandbox/limits.js';

describe('prlimitArgs', () => {
  it('turns limits into prlimit flags in bytes, with SIGXCPU a second before SIGKILL', () => {
    expect(prlimitArgs({ cpuSeconds: 5, memoryMb: 2, fileSizeMb: 3, processes: 7 })).toEqual([
      '--cpu=5:6',
      '--as=2097152',
      '--fsize=3145728',
      '--nproc=7',
      '--',
    ]);
  });
});

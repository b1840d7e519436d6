import type { SandboxLimits } from './types.js';

const MIB = 1024 * 1024;

/**
 * prlimit(1) arguments that cap the command run after them. Soft and hard limits are equal so
 * the command cannot raise them, except CPU: SIGXCPU at the soft limit tells why the command
 * ended; SIGKILL one second later stops a command that ignores it.
 */
export function prlimitArgs(limits: SandboxLimits): string[] {
  return [
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryMb * MIB}`,
    `--fsize=${limits.fileSizeMb * MIB}`,
    `--nproc=${limits.processes}`,
    '--',
  ];
}

import * as z from 'zod';

export const sandboxLimitsSchema = z.object({
  /** CPU seconds (RLIMIT_CPU). */
  cpuSeconds: z.int().positive(),
  /** Address space of each process in MiB (RLIMIT_AS). */
  memoryMb: z.int().positive(),
  /** Largest file the command may write, in MiB (RLIMIT_FSIZE). */
  fileSizeMb: z.int().positive(),
  /** Processes and threads at once (RLIMIT_NPROC, counted in the sandbox's own user namespace). */
  processes: z.int().positive(),
});

export const runOptionsSchema = z.object({
  /** Shell command, run with /bin/sh -c. */
  command: z.string().min(1),
  /** Absolute path of the workspace: the only writable place, seen inside as /workspace. */
  cwd: z.string().refine((value) => value.startsWith('/'), 'must be an absolute path'),
  /** Wall-clock limit; the whole sandbox is killed after it. */
  timeoutMs: z.int().positive(),
  limits: sandboxLimitsSchema,
  /** Bytes kept of each of stdout and stderr (head and tail). */
  outputCapBytes: z.int().positive(),
  /** Extra environment variables; nothing of the parent's environment is passed on. */
  env: z.record(z.string(), z.string()).optional(),
  /** Path of the bwrap binary; looked up on PATH when absent. */
  bwrapPath: z.string().optional(),
});

export type SandboxLimits = z.infer<typeof sandboxLimitsSchema>;
export type RunOptions = z.infer<typeof runOptionsSchema>;

export interface RunResult {
  /** Exit code, or null when the command ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The wall-clock timeout ended the command. */
  timedOut: boolean;
  /** stdout or stderr was longer than the cap and lost its middle. */
  truncated: boolean;
}

/** The inside of every sandbox: a fixed, minimal environment. */
export const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
  // An edit within the same second and size as the last run would otherwise run a stale .pyc.
  PYTHONDONTWRITEBYTECODE: '1',
};

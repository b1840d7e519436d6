import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { pathRefused } from './fs-errors.js';
import { capText } from './truncate.js';
import { defineTool } from './types.js';
import { resolveInside } from './workspace.js';

const schema = z.object({
  command: z.string().min(1).describe('Shell command to run, e.g. "npm test" or "ls -la src".'),
  cwd: z
    .string()
    .default('.')
    .describe('Directory to run in, relative to the workspace root; defaults to the root.'),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .optional()
    .describe('Wall-clock limit in milliseconds; the command is killed when it passes.'),
});

function section(label: string, text: string, maxBytes: number): string {
  if (text === '') return `--- ${label}: (empty) ---`;
  return `--- ${label} ---\n${capText(text, maxBytes).text}`;
}

export const runCommand = defineTool({
  name: 'run_command',
  description:
    'Run a shell command in the workspace inside a sandbox (no network). Returns the exit code, ' +
    'stdout, stderr and duration. Use it to run tests, builds and linters.',
  schema,
  async run(args, ctx) {
    const cwd = await resolveInside(ctx.workspace, args.cwd);
    if (!cwd.ok) return pathRefused(cwd);
    const timeoutMs = Math.min(
      args.timeoutMs ?? ctx.limits.defaultCommandTimeoutMs,
      ctx.limits.maxCommandTimeoutMs,
    );
    const started = performance.now();
    const result = await ctx.runCommand(args.command, { cwd: cwd.absolute, timeoutMs });
    const durationMs = result.durationMs ?? Math.round(performance.now() - started);
    const status = result.timedOut
      ? `timed out after ${timeoutMs} ms`
      : `exit code ${result.exitCode ?? 'none (killed by a signal)'}`;
    // Each stream gets half the budget so a chatty stdout cannot hide the error on stderr.
    const streamBytes = Math.floor(ctx.limits.maxOutputBytes / 2);
    const content = [
      `$ ${args.command}`,
      `${status} in ${durationMs} ms`,
      section('stdout', result.stdout, streamBytes),
      section('stderr', result.stderr, streamBytes),
    ].join('\n');
    return {
      ok: !result.timedOut && result.exitCode === 0,
      ...(result.timedOut
        ? { code: 'COMMAND_TIMED_OUT' }
        : result.exitCode === 0
          ? {}
          : { code: 'COMMAND_FAILED' }),
      content,
      command: { ...result, command: args.command, durationMs },
    };
  },
});

import type * as z from 'zod';

/** What the sandbox (or a test double) reports for one command. */
export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Filled in by `run_command` from its own clock when the runner does not report it. */
  durationMs?: number;
}

/**
 * Runs one shell command in `cwd`. Injected so the bubblewrap sandbox plugs in at the edge and the
 * tools never know how commands are isolated.
 */
export type RunCommand = (
  command: string,
  options: { cwd: string; timeoutMs: number },
) => Promise<CommandResult>;

/** Caps that keep one observation from flooding the model's context. */
export interface ToolLimits {
  /** Largest text a single observation (and each command stream) may carry. */
  maxOutputBytes: number;
  /** Files larger than this are not loaded by `read_file` or `edit_file` at all. */
  maxFileBytes: number;
  maxListEntries: number;
  maxListDepth: number;
  defaultCommandTimeoutMs: number;
  maxCommandTimeoutMs: number;
  /** Matching lines (or, in glob mode, files) one `search` shows; the rest are only counted. */
  maxSearchResults: number;
  /** Longest line `search` shows; longer ones are cut around their first match. */
  maxSearchLineChars: number;
  searchTimeoutMs: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  maxOutputBytes: 32 * 1024,
  maxFileBytes: 5 * 1024 * 1024,
  maxListEntries: 400,
  maxListDepth: 6,
  defaultCommandTimeoutMs: 120_000,
  maxCommandTimeoutMs: 600_000,
  maxSearchResults: 100,
  maxSearchLineChars: 200,
  searchTimeoutMs: 30_000,
};

export interface ToolContext {
  /** Absolute path of the thread's workspace. */
  workspace: string;
  runCommand: RunCommand;
  /** The ripgrep binary `search` spawns: a name looked up on PATH, or an absolute path. */
  ripgrep: string;
  limits: ToolLimits;
}

/** The text the model reads after a tool call, plus structured facts the agent state keeps. */
export interface Observation {
  ok: boolean;
  content: string;
  /** Stable reason when `ok` is false, e.g. `PATH_OUTSIDE_WORKSPACE`, `AMBIGUOUS_MATCH`. */
  code?: string;
  /** Workspace-relative POSIX paths this call created, modified or deleted. */
  filesChanged?: string[];
  command?: CommandResult & { command: string; durationMs: number };
  /** Set by `finish`. */
  done?: boolean;
  summary?: string;
}

export interface ToolSpec<S extends z.ZodObject = z.ZodObject> {
  name: string;
  /** Written for the model: what the tool does and when to use it. */
  description: string;
  schema: S;
  // Method syntax on purpose: it keeps specs with different schemas assignable to one list.
  run(args: z.output<S>, ctx: ToolContext): Promise<Observation>;
}

export function defineTool<S extends z.ZodObject>(spec: ToolSpec<S>): ToolSpec<S> {
  return spec;
}

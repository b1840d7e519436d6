import { performance } from 'node:perf_hooks';
import type * as z from 'zod';
import { errorMessage } from '../../errors.js';
import { describeIssues } from '../../runtime/contract.js';
import { RIPGREP_BINARY } from './ripgrep.js';
import { TOOL_NAMES, TOOL_SPECS } from './specs.js';
import { capText } from './truncate.js';
import {
  DEFAULT_TOOL_LIMITS,
  type Observation,
  type RunCommand,
  type ToolLimits,
} from './types.js';

export interface ToolCall {
  id: string;
  name: string;
  /** As the model sent it: an object, or a JSON string from some OpenAI-compatible servers. */
  args: unknown;
  /** Why `act` did not accept the arguments: the call is answered with this, not run. */
  refused?: string;
}

export interface ExecuteContext {
  workspace: string;
  runCommand: RunCommand;
  /** The ripgrep binary for `search`; `rg` on PATH by default. */
  ripgrep?: string;
  limits?: Partial<ToolLimits>;
}

export interface ToolCallResult {
  id: string;
  name: string;
  observation: Observation;
  filesChanged: string[];
  durationMs: number;
}

/** What the model is told of bad arguments: one line per bad field, so it can fix exactly those. */
export function describeBadArguments(tool: string, error: z.ZodError): string {
  const lines = describeIssues(error, '(arguments)').map((line) => `- ${line}`);
  return `Invalid arguments for ${tool}:\n${lines.join('\n')}`;
}

async function observe(
  call: ToolCall,
  ctx: ExecuteContext,
  limits: ToolLimits,
): Promise<Observation> {
  if (call.refused !== undefined) {
    return { ok: false, code: 'INVALID_ARGUMENTS', content: call.refused };
  }
  const spec = TOOL_SPECS.find((candidate) => candidate.name === call.name);
  if (spec === undefined) {
    return {
      ok: false,
      code: 'UNKNOWN_TOOL',
      content: `Unknown tool ${JSON.stringify(call.name)}. Available tools: ${TOOL_NAMES.join(', ')}.`,
    };
  }
  let raw: unknown = call.args ?? {};
  if (typeof raw === 'string') {
    try {
      raw = raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
    } catch {
      return {
        ok: false,
        code: 'INVALID_ARGUMENTS',
        content: `Arguments for ${spec.name} are not valid JSON.`,
      };
    }
  }
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'INVALID_ARGUMENTS',
      content: describeBadArguments(spec.name, parsed.error),
    };
  }
  try {
    return await spec.run(parsed.data, {
      workspace: ctx.workspace,
      runCommand: ctx.runCommand,
      ripgrep: ctx.ripgrep ?? RIPGREP_BINARY,
      limits,
    });
  } catch (error) {
    // A failing runner or an unexpected fs error is something the model should hear about, not a crash.
    return {
      ok: false,
      code: 'TOOL_FAILED',
      content: `${spec.name} failed: ${errorMessage(error)}`,
    };
  }
}

/** Runs one tool call from the model and always returns an observation for it. */
export async function executeToolCall(
  call: ToolCall,
  ctx: ExecuteContext,
): Promise<ToolCallResult> {
  const limits = { ...DEFAULT_TOOL_LIMITS, ...ctx.limits };
  const started = performance.now();
  const observation = await observe(call, ctx, limits);
  // Last line of defence: no observation may exceed the output budget, whatever produced it.
  const capped = capText(observation.content, limits.maxOutputBytes * 2);
  return {
    id: call.id,
    name: call.name,
    observation: { ...observation, content: capped.text },
    filesChanged: observation.filesChanged ?? [],
    durationMs: Math.round(performance.now() - started),
  };
}

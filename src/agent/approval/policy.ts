import type { ApprovalPolicy, RiskRuleSource } from '../../config/approval.js';
import type { ToolCall } from '../graph/steps.js';

/**
 * Which tool calls wait for a person before they run. One module for both sides: the graph's
 * `tools` node holds these calls with an interrupt, and the `tools` function refuses any of them
 * that carries no approval the orchestrator signed — so the two can never disagree on the rules.
 */

export {
  APPROVAL_POLICIES,
  DEFAULT_RISKY_COMMANDS,
  DEFAULT_RISKY_PATHS,
  type ApprovalPolicy,
  type RiskRuleSource,
} from '../../config/approval.js';

const FILE_TOOLS = new Set(['write_file', 'edit_file', 'insert_lines', 'delete_file']);

export interface RiskRules {
  commands: readonly RegExp[];
  paths: readonly RegExp[];
}

/** Compiles the configured rules; a pattern that is not a regular expression is an error naming it. */
export function compileRiskRules(source: RiskRuleSource): RiskRules {
  const compile = (key: string, patterns: readonly string[]): RegExp[] =>
    patterns.map((pattern) => {
      try {
        return new RegExp(pattern, 'i');
      } catch (error) {
        throw new Error(
          `${key}: ${JSON.stringify(pattern)} is not a regular expression (${String(error)})`,
          { cause: error },
        );
      }
    });
  return {
    commands: compile('agent.riskyCommands', source.riskyCommands),
    paths: compile('agent.riskyPaths', source.riskyPaths),
  };
}

/** What the rules need to know of the workspace: whether the user's own code holds a file. */
export interface RiskContext {
  /** True when `path` is in the thread's baseline (the code the user brought). */
  inBaseline(path: string): Promise<boolean>;
}

/** Why `call` is risky under `rules`, or null when it is not. */
export async function riskOf(
  call: ToolCall,
  rules: RiskRules,
  context: RiskContext,
): Promise<string | null> {
  const args = (call.args ?? {}) as Record<string, unknown>;
  if (call.name === 'run_command' && typeof args.command === 'string') {
    const rule = rules.commands.find((pattern) => pattern.test(args.command as string));
    if (rule) return `the command matches the risky pattern /${rule.source}/`;
    return null;
  }
  if (FILE_TOOLS.has(call.name) && typeof args.path === 'string') {
    const path = args.path.replace(/^\.\/+/, '');
    const rule = rules.paths.find((pattern) => pattern.test(path));
    if (rule) return `${path} matches the risky path pattern /${rule.source}/`;
    if (call.name === 'delete_file' && (await context.inBaseline(path))) {
      return `it deletes ${path}, a file of the code you brought (not one the agent made)`;
    }
  }
  return null;
}

export interface HeldCall {
  call: ToolCall;
  reason: string;
}

/** The calls that wait for a person under `policy`, each with why. */
export async function heldCalls(
  calls: readonly ToolCall[],
  policy: ApprovalPolicy,
  rules: RiskRules,
  context: RiskContext,
): Promise<HeldCall[]> {
  if (policy === 'never') return [];
  const held: HeldCall[] = [];
  for (const call of calls) {
    // A call `act` refused already (unusable arguments) runs nothing: nothing to approve.
    if (call.refused !== undefined) continue;
    if (policy === 'always') {
      held.push({ call, reason: 'every tool call waits for approval (approval "always")' });
      continue;
    }
    const reason = await riskOf(call, rules, context);
    if (reason !== null) held.push({ call, reason });
  }
  return held;
}

const RANK: Record<ApprovalPolicy, number> = { never: 0, risky: 1, always: 2 };

/** The stricter of two policies: a run may ask for more approval than configured, never less. */
export function stricter(a: ApprovalPolicy, b: ApprovalPolicy): ApprovalPolicy {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isWeaker(policy: ApprovalPolicy, than: ApprovalPolicy): boolean {
  return RANK[policy] < RANK[than];
}

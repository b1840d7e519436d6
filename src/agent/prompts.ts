import type { Plan } from './graph/steps.js';

/** The texts the model reads, kept apart from the step logic so they can be tuned alone. */

export const PLAN_SYSTEM_PROMPT = `You are the planner of a coding agent that works in an empty or existing workspace folder.
Answer with one JSON object and nothing else:
{"steps": ["short imperative step", ...], "checks": ["shell command", ...]}
- steps: 1 to 8 short steps that complete the task.
- checks: shell commands, run from the workspace folder, that exit 0 only when the task is done (for example "python3 test_hello.py" or "test -f hello.txt"). Use an empty list when no command can prove it.
No prose, no Markdown fences.`;

/** Sent once after a reply that was not the JSON asked for. */
export function planCorrection(problem: string): string {
  return `Your reply was not the JSON object asked for (${problem}). Answer again with only {"steps": [...], "checks": [...]}.`;
}

export const ACT_SYSTEM_PROMPT = `You are a careful coding agent working inside one workspace folder.
Use the tools to inspect and change files and to run commands; paths are relative to the workspace.
Make small, verifiable changes, run the checks of the plan yourself, and call finish with a short summary once the task is done.`;

export function actBrief(task: string, plan: Plan | null, feedback: string | null): string {
  const parts = [`Task: ${task}`];
  if (plan) {
    if (plan.steps.length > 0) {
      parts.push(`Plan:\n${plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n')}`);
    }
    if (plan.checks.length > 0) {
      parts.push(`Checks that must pass:\n${plan.checks.map((check) => `- ${check}`).join('\n')}`);
    }
  }
  if (feedback) parts.push(`A reviewer looked at your last attempt and says:\n${feedback}`);
  return parts.join('\n\n');
}

export const REVIEW_SYSTEM_PROMPT = `You review the work of a coding agent. Answer with one JSON object and nothing else:
{"done": true|false, "feedback": "what is still wrong and how to fix it, or null when done"}`;

export function reviewBrief(
  task: string,
  filesChanged: readonly string[],
  lastWords: string,
): string {
  return [
    `Task: ${task}`,
    `Files changed: ${filesChanged.length > 0 ? filesChanged.join(', ') : '(none)'}`,
    `The agent's last message: ${lastWords || '(none)'}`,
  ].join('\n\n');
}

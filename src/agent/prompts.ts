import type { CondensedHistory, Plan } from './graph/steps.js';

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
The workspace may hold the user's existing project: find your way with search and read_file before you change anything, keep to its style, and change only what the task needs.
Make small, verifiable changes, run the checks of the plan yourself, and call finish with a short summary once the task is done.`;

export function actBrief(
  task: string,
  plan: Plan | null,
  feedback: string | null,
  workspaceChanges: string | null = null,
): string {
  const parts = [`Task: ${task}`];
  if (plan) {
    if (plan.steps.length > 0) {
      parts.push(`Plan:\n${plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n')}`);
    }
    if (plan.checks.length > 0) {
      parts.push(`Checks that must pass:\n${plan.checks.map((check) => `- ${check}`).join('\n')}`);
    }
  }
  if (workspaceChanges !== null) {
    parts.push(
      workspaceChanges === ''
        ? 'Your changes so far: none (the workspace is as it was imported).'
        : `Your changes so far (git diff --stat against the files as they were imported):\n${workspaceChanges}`,
    );
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

/**
 * A step's system prompt with the condensed part of the thread after it. In the system message
 * rather than a message of its own: some OpenAI-compatible servers refuse two user messages in a
 * row or a system message after the first.
 */
export function withCondensedHistory(prompt: string, condensed: CondensedHistory | null): string {
  if (condensed === null) return prompt;
  const tasks = condensed.tasks.map((task, i) => `${i + 1}. ${task}`).join('\n');
  return [
    prompt,
    'The older turns of this thread were condensed to save context.',
    ...(tasks ? [`Tasks the user gave in those turns, oldest first:\n${tasks}`] : []),
    `Summary of those turns:\n${condensed.summary}`,
  ].join('\n\n');
}

export const CONDENSE_SYSTEM_PROMPT = `You condense the history of a coding agent's work in a workspace folder, so the agent can go on without the full transcript.
Write a plain-text summary, at most 300 words, that keeps what the agent needs:
- every task the user gave, in order, and whether it is done;
- the files created, changed or deleted, and what they now hold;
- the commands run and what their results showed, errors included, and what fixed them;
- decisions made, and what is still open or failing.
Leave out greetings, repetition and file contents the agent can read again. Answer with the summary only.`;

/** The turns to condense, as a transcript, after the summary of any turns condensed before them. */
export function condenseRequest(previousSummary: string | null, transcript: string): string {
  return [
    ...(previousSummary ? [`Summary of even older turns:\n${previousSummary}`] : []),
    `Turns to condense:\n${transcript}`,
    'Condense these turns into the summary described.',
  ].join('\n\n');
}

import { oneLine } from './text.js';

/** A failed step in a person's words, for every client that shows a run (CLI, dashboard). */

/**
 * LangGraph names the node that handles a step's failure `__error_handler__<step>`: an internal
 * name the person following the run never needs to see.
 */
const ERROR_HANDLER_PREFIX = '__error_handler__';

/** The step a graph node is, without LangGraph's error-handler prefix. */
export function stepName(node: string): string {
  return node.startsWith(ERROR_HANDLER_PREFIX) ? node.slice(ERROR_HANDLER_PREFIX.length) : node;
}

/** True for the node LangGraph runs when a step failed for good. */
export function isErrorHandler(node: string): boolean {
  return node.startsWith(ERROR_HANDLER_PREFIX);
}

/**
 * "plan failed after 3 attempts: CODE: why". The run's error message reads
 * "step plan failed: function plan failed: why (after 3 attempts)": the step, the attempts and
 * the repeated "function plan failed" come out of the message and into the sentence.
 */
export function describeFailure(
  error: { code: string; message: string },
  step?: string,
  maxLength = 300,
): string {
  let message = error.message;
  let failed = step === undefined ? undefined : stepName(step);
  const prefix = /^step (\S+) failed: /.exec(message);
  if (prefix) {
    failed ??= stepName(prefix[1] ?? '');
    message = message.slice(prefix[0].length);
  }
  if (failed !== undefined && message.startsWith(`function ${failed} failed: `)) {
    message = message.slice(`function ${failed} failed: `.length);
  }
  const attempts = / \(after (\d+) attempts\)$/.exec(message);
  if (attempts) message = message.slice(0, attempts.index);
  const head = failed === undefined ? 'failed' : `${failed} failed`;
  const after = attempts ? ` after ${attempts[1]} attempts` : '';
  return `${head}${after}: ${error.code}: ${oneLine(message, maxLength)}`;
}

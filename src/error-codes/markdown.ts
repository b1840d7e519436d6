import type { ErrorCodeEntry } from './entry.js';
import { HOST_ERRORS } from './host.js';
import { ERROR_CODES, isErrorCode, type ErrorCode } from './index.js';
import { RUN_API_ERRORS } from './run-api.js';
import { ERROR_MEANINGS } from './meanings.js';
import { RUN_ERRORS } from './run.js';
import { TOOL_ERRORS } from './tools.js';
import { WORKSPACE_ERRORS } from './workspace.js';

/** Where `atolye build` writes the catalogue's page; a test fails when the committed copy is stale. */
export const ERROR_CODES_FILE = 'docs/api/errors.md';

/** The parts of the catalogue, in the order the page lists them. */
export const ERROR_CODE_PARTS: readonly {
  title: string;
  about: string;
  codes: Readonly<Record<string, ErrorCodeEntry>>;
}[] = [
  {
    title: 'Run API',
    about: "The run API's own refusals: keys, threads, runs, assistants, crons and files.",
    codes: RUN_API_ERRORS,
  },
  {
    title: 'Workspaces, imports and git',
    about: "A thread's workspace: imports (`…/import`), clones and pushes, and the git underneath.",
    codes: WORKSPACE_ERRORS,
  },
  {
    title: 'Worker host and function calls',
    about:
      "The worker host's gateway, its failures while it runs a function, the worker's own, and the invoke client's (`INVOKE_*`). The host also answers some codes of the run API's part: `INVALID_REQUEST`, `BODY_INVALID_JSON`, `BODY_TOO_LARGE`, `METHOD_NOT_ALLOWED` and `INTERNAL`. A function whose handler throws is answered 500 with the handler's code, which may be its own.",
    codes: HOST_ERRORS,
  },
  {
    title: 'Runs, steps, the model and the sandbox',
    about:
      "Codes that end a run (a run's `error.code`, with status `error`, `timeout` or a stop reason) and those of the steps beneath it. A run's error reaches a client in the run, not as a failed request; the status is what a request failing for the same reason gets.",
    codes: RUN_ERRORS,
  },
  {
    title: 'CLI, deploys and operations',
    about:
      "The CLI, the VS Code extension and the operator's commands: the run API and the worker host as a client sees them, local folders and patches, deploys, keys, backups and the configuration. They end a command rather than answer a request; the status says whose the fault is.",
    codes: TOOL_ERRORS,
  },
];

/**
 * The codes the worker host answers to a function call, `POST /fn/{name}`, from its gateway, the
 * pool and the worker; the page lists them again, by status, for the callers of a function
 * (docs/api/functions_api.md links there). A test checks that every code the call path names is
 * here.
 */
export const FUNCTION_CALL_CODES: readonly ErrorCode[] = [
  'INVALID_REQUEST',
  'BODY_INVALID_JSON',
  'BODY_UNREADABLE',
  'INPUT_INVALID',
  'INPUT_TOO_DEEP',
  'INPUT_UNSENDABLE',
  'SIGNATURE_INVALID',
  'SIGNATURE_REPLAYED',
  'FUNCTION_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'BODY_TOO_LARGE',
  'IDEMPOTENCY_KEY_REUSED',
  'QUEUE_FULL',
  'HANDLER_ERROR',
  'OUTPUT_INVALID',
  'OUTPUT_TOO_DEEP',
  'OUTPUT_UNSERIALISABLE',
  'INTERNAL',
  'WORKER_CRASHED',
  'WORKER_START_FAILED',
  'FUNCTION_UNAVAILABLE',
  'FUNCTION_DRAINING',
  'REPLAY_GUARD_FULL',
  'FUNCTION_TIMEOUT',
];

/**
 * Where the host's answer to a call has another `retryable` than the catalogue's usual one: its
 * own fault is not retried (src/runtime/host/failures.ts), the run API's is.
 */
export const FUNCTION_CALL_RETRYABLE: Readonly<Partial<Record<ErrorCode, boolean>>> = {
  INTERNAL: false,
};

/** The title of the page's section of FUNCTION_CALL_CODES; its anchor is linked to. */
export const FUNCTION_CALLS_TITLE = 'What a function call answers';

const FUNCTION_CALLS_ABOUT =
  "Every failure the worker host answers to `POST /fn/{name}` (and so the invoke client's caller sees), by status; the same codes as in the parts above. A handler that throws an `AtolyeError` is answered 500 with its `code` and `retryable`, whatever the code; one that throws anything else, with `HANDLER_ERROR`.";

const HEAD = `# Error codes

<!-- Generated from src/error-codes by \`npm run build\`; a test fails when this page is stale. Edit the catalogue, not this page. -->

Every error the run API and the worker host answer has one shape,
\`{ "error": { "code", "message", "retryable" } }\`. The \`code\` is one of those below and stays
the same from release to release; the \`message\` says what happened and what to do, and may change.
An answer's HTTP status is its code's: 4xx when the request (or the command) can be fixed by its
sender, 5xx for a fault of the server or of a service behind it. \`retryable\` here is the usual
value; an answer that knows better (a timeout, a busy file) says otherwise, and its own value is
the one to follow.

An error whose code is not below reaches no client under that code: the run API and the worker
host answer it as a 500 \`INTERNAL\` (the worker host's not retryable). The exception is a
function's own error, which the worker host answers 500 with the code the function threw.

What is logged as an error (the \`errors\` channel, and Sentry where it is set up) is a fault or
a failed run: a 5xx of the run API and a fault of the worker host or of a worker process itself
(a crash, an uncaught exception), each with its stack; and a run that ends in \`error\` or
\`timeout\`, one line with its code and \`runId\`. A function's own error is a warning of the
function (its code and stack, in \`agent\`): its caller decides what it means, and the
orchestrator may retry the step.
`;

/**
 * The page docs/api/errors.md: every code of the catalogue, part by part, then the codes of a
 * function call by status, in prettier's form.
 */
export function errorCodesMarkdown(): string {
  const parts = ERROR_CODE_PARTS.map((part) =>
    section(part.title, part.about, Object.keys(part.codes).filter(isErrorCode)),
  );
  const byStatus = [...FUNCTION_CALL_CODES].sort(
    (a, b) => ERROR_CODES[a].status - ERROR_CODES[b].status,
  );
  const calls = section(
    FUNCTION_CALLS_TITLE,
    FUNCTION_CALLS_ABOUT,
    byStatus,
    FUNCTION_CALL_RETRYABLE,
  );
  return [HEAD, ...parts, calls].join('\n');
}

function section(
  title: string,
  about: string,
  codes: readonly ErrorCode[],
  retryable: Readonly<Partial<Record<ErrorCode, boolean>>> = {},
): string {
  const rows = codes.map((code) => [
    `\`${code}\``,
    String(ERROR_CODES[code].status),
    (retryable[code] ?? ERROR_CODES[code].retryable) ? 'yes' : 'no',
    ERROR_MEANINGS[code],
  ]);
  return `## ${title}\n\n${about}\n\n${table(['code', 'status', 'retryable', 'meaning'], rows)}`;
}

/** A markdown table with its columns padded as prettier pads them. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(3, width(title), ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - width(cell))).join(' | ')} |\n`;
  return line(header) + line(widths.map((size) => '-'.repeat(size))) + rows.map(line).join('');
}

function width(text: string): number {
  return [...text].length;
}

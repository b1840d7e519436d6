import type { ErrorCodeEntry } from './entry.js';
import { HOST_ERRORS } from './host.js';
import { ERROR_CODES, isErrorCode } from './index.js';
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
      "The worker host's gateway, its failures while it runs a function, the worker's own, and the invoke client's (`INVOKE_*`). A function whose handler throws is answered 500 with the handler's code, which may be its own.",
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

const HEAD = `# Error codes

<!-- Generated from src/error-codes by \`npm run build\`; a test fails when this page is stale. Edit the catalogue, not this page. -->

Every error the run API and the worker host answer has one shape,
\`{ "error": { "code", "message", "retryable" } }\`. The \`code\` is one of those below and stays
the same from release to release; the \`message\` says what happened and what to do, and may change.
An answer's HTTP status is its code's: 4xx when the request (or the command) can be fixed by its
sender, 5xx for a fault of the server or of a service behind it. \`retryable\` here is the usual
value; an answer that knows better (a timeout, a busy file) says otherwise, and its own value is
the one to follow.

An error whose code is not below reaches no client under that code: the run API answers it as a
500 \`INTERNAL\`, the worker host as a 500 \`INTERNAL_ERROR\`. Only server faults are logged as
errors with their stack (the \`errors\` channel, and Sentry where it is set up): a 5xx of the run
API, a 500 of the worker host. The exception is a function's own error, which the worker host
answers 500 with the code the function threw.
`;

/** The page docs/api/errors.md: every code of the catalogue, part by part, in prettier's form. */
export function errorCodesMarkdown(): string {
  const parts = ERROR_CODE_PARTS.map((part) => {
    const rows = Object.keys(part.codes)
      .filter(isErrorCode)
      .map((code) => [
        `\`${code}\``,
        String(ERROR_CODES[code].status),
        ERROR_CODES[code].retryable ? 'yes' : 'no',
        ERROR_MEANINGS[code],
      ]);
    return `## ${part.title}\n\n${part.about}\n\n${table(['code', 'status', 'retryable', 'meaning'], rows)}`;
  });
  return [HEAD, ...parts].join('\n');
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

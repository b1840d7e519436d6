import { messageOf, sdk } from './api.js';
import {
  archiveType,
  describeImport,
  importCode,
  rememberImport,
  type CodeSource,
} from './code-import.js';
import { APPROVAL_POLICIES, isWeaker, type ApprovalPolicy } from '../../agent/approval/policy.js';
import { errorBox, h, route, shortId, show } from './dom.js';
import { waitSpan } from './held-call.js';
import { approvalSettings } from './pause.js';
import type { Page } from './types.js';

const NEW_THREAD = '';
/** The approval choice before the server's policy is known: the run asks for nothing of its own. */
const SERVER_POLICY = '';

const POLICY_WORDS: Record<ApprovalPolicy, string> = {
  never: 'Never: tool calls run without asking',
  risky: "Risky calls: commands and paths matching the server's risk rules wait for you",
  always: 'Always: every tool call waits for you',
};

/** A step of starting a run that failed, with what to say about it. */
class StartFailure extends Error {
  constructor(
    readonly title: string,
    cause: unknown,
  ) {
    super(messageOf(cause), { cause });
  }
}

/**
 * A task on a new thread, which may start from the user's code (a folder archive or a git
 * repository, imported before the run), or a follow-up on an existing one (same workspace).
 */
export const renderSubmit: Page = (view, _args, query) => {
  const task = h('textarea', {
    id: 'task',
    rows: 5,
    required: true,
    placeholder: 'write hello.py that prints hello',
  });
  const thread = h('select', { id: 'thread' }, h('option', { value: NEW_THREAD }, 'A new thread'));
  const source = h(
    'select',
    { id: 'source' },
    h('option', { value: 'empty' }, 'An empty workspace'),
    h('option', { value: 'archive' }, 'A folder archive (.tar.gz, .tgz or .zip)'),
    h('option', { value: 'git' }, 'A git repository'),
  );
  const archive = h('input', {
    id: 'archive',
    type: 'file',
    accept: '.tar.gz,.tgz,.zip,application/gzip,application/zip',
  });
  const gitUrl = h('input', {
    id: 'git-url',
    type: 'url',
    autocomplete: 'off',
    placeholder: 'https://github.com/owner/repository.git',
  });
  const gitRef = h('input', {
    id: 'git-ref',
    autocomplete: 'off',
    placeholder: 'the default branch',
  });
  const archiveField = h('div', {}, h('label', { for: 'archive' }, 'Archive'), archive);
  const gitField = h(
    'div',
    {},
    h('label', { for: 'git-url' }, 'Repository URL'),
    gitUrl,
    h('label', { for: 'git-ref' }, 'Branch, tag or commit (optional)'),
    gitRef,
  );
  const sourceField = h(
    'fieldset',
    { class: 'source' },
    h('legend', {}, 'Start from'),
    source,
    archiveField,
    gitField,
  );
  const approval = h(
    'select',
    { id: 'approval' },
    h('option', { value: SERVER_POLICY }, "The server's setting"),
  );
  const approvalNote = h('p', { class: 'muted', id: 'approval-note' });
  const progress = h('p', { class: 'muted', id: 'submit-progress', role: 'status' });
  const problem = h('div', { class: 'problem' });
  const submit = h('button', { type: 'submit' }, 'Start run');
  const chosen = query.get('thread') ?? NEW_THREAD;

  // Code is imported into new threads only: an existing thread has its workspace.
  const sync = (): void => {
    const fresh = thread.value === NEW_THREAD;
    sourceField.hidden = !fresh;
    archiveField.hidden = source.value !== 'archive';
    gitField.hidden = source.value !== 'git';
    archive.required = fresh && source.value === 'archive';
    gitUrl.required = fresh && source.value === 'git';
  };
  thread.addEventListener('change', sync);
  source.addEventListener('change', sync);

  /** What the last submit imported: still true when the run then failed to start. */
  let imported: string | undefined;
  const start = async (): Promise<[string, string]> => {
    const client = sdk();
    let threadId = thread.value;
    if (threadId === NEW_THREAD) {
      const code = await chosenSource();
      threadId = await client.threads
        .create()
        .then((created) => created.thread_id)
        .catch((error: unknown) => {
          throw new StartFailure('The thread was not created:', error);
        });
      if (code) {
        show(progress, 'Importing the code…');
        const result = await importCode(threadId, code).catch((error: unknown) => {
          throw new StartFailure('The code was not imported:', error);
        });
        rememberImport(result);
        imported = `Imported ${describeImport(result)} into thread ${shortId(threadId)}.`;
        show(progress, `${imported} Starting the run…`);
        // The code is in this thread now: a retry is a follow-up there, not a second import.
        thread.append(h('option', { value: threadId }, `${shortId(threadId)} — just imported`));
        thread.value = threadId;
        sync();
      }
    }
    // Queued behind a run still going on the thread rather than refused.
    const run = await client.runs
      .create(threadId, 'atolye', {
        input: { task: task.value.trim() },
        multitaskStrategy: 'enqueue',
        ...(approval.value === SERVER_POLICY
          ? {}
          : { config: { configurable: { approval: approval.value } } }),
      })
      .catch((error: unknown) => {
        throw new StartFailure('The run was not started:', error);
      });
    return [threadId, run.run_id];
  };

  const chosenSource = async (): Promise<CodeSource | undefined> => {
    if (source.value === 'git') {
      return { kind: 'git', url: gitUrl.value.trim(), ref: gitRef.value.trim() };
    }
    const file = archive.files?.[0];
    if (source.value !== 'archive' || !file) return undefined;
    const contentType = await archiveType(file);
    if (contentType === null) {
      throw new StartFailure(
        'The code was not imported:',
        `${file.name} is neither a gzip-compressed tar nor a zip archive: choose a .tar.gz, .tgz or .zip file`,
      );
    }
    return { kind: 'archive', file, contentType };
  };

  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event: Event) => {
        event.preventDefault();
        submit.disabled = true;
        show(problem);
        show(progress);
        imported = undefined;
        start()
          .then(([threadId, runId]) => {
            location.hash = route('run', threadId, runId);
          })
          .catch((error: unknown) => {
            submit.disabled = false;
            show(progress, imported);
            const title = error instanceof StartFailure ? error.title : 'The run was not started:';
            show(problem, errorBox(title, messageOf(error)));
          });
      },
    },
    h('label', { for: 'task' }, 'Task'),
    task,
    h('label', { for: 'thread' }, 'Thread'),
    thread,
    sourceField,
    h('label', { for: 'approval' }, 'Approval'),
    approval,
    approvalNote,
    submit,
    progress,
    problem,
  );
  show(view, h('h1', {}, 'New task'), form);
  sync();

  let stopped = false;
  approvalSettings()
    .then(({ policy, timeoutMs }) => {
      if (stopped) return;
      // A run may ask for more approval than the server's, never less: weaker ones are not offered.
      const choices = APPROVAL_POLICIES.filter(
        (choice) => !isWeaker(choice, policy as ApprovalPolicy),
      );
      show(
        approval,
        ...choices.map((choice) =>
          h('option', { value: choice, selected: choice === policy }, POLICY_WORDS[choice]),
        ),
      );
      const wait =
        timeoutMs > 0
          ? ` A held call nobody answers is rejected after ${waitSpan(timeoutMs)}.`
          : '';
      show(
        approvalNote,
        choices.length === 1
          ? `This server holds every tool call for approval ("${policy}").${wait}`
          : `This server's setting is "${policy}"; a run may ask for more approval, not less.${wait}`,
      );
    })
    .catch((error: unknown) => {
      if (!stopped)
        show(approvalNote, `The server's approval setting applies (${messageOf(error)}).`);
    });
  sdk()
    .threads.search({ limit: 50 })
    .then((threads) => {
      if (stopped) return;
      for (const { thread_id, updated_at } of threads) {
        const label = `${shortId(thread_id)} — last active ${new Date(updated_at).toLocaleString()}`;
        thread.append(h('option', { value: thread_id, selected: thread_id === chosen }, label));
      }
      sync();
    })
    .catch((error: unknown) => {
      if (!stopped) show(problem, errorBox('Cannot list threads:', messageOf(error)));
    });
  return () => {
    stopped = true;
  };
};

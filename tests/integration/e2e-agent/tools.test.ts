import diagnostics from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { observationsIn, scriptNamed, startHarness, type Harness } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

// Scripted tasks through the real step functions, host and bubblewrap sandbox: each asserts the
// files the tools really left in the workspace and what the sandbox really answered.

/** Every URL this process requests (executor → host, deploy → host), via undici's channel. */
const fetched: string[] = [];
const onRequest = (message: unknown): void => {
  const { request } = message as { request: { origin: string; path: string } };
  fetched.push(`${request.origin}${request.path}`);
};

let harness: Harness;

beforeAll(async () => {
  diagnostics.subscribe('undici:request:create', onRequest);
  harness = await startHarness('atolye-e2e-tools-');
}, 60_000);

afterAll(async () => {
  diagnostics.unsubscribe('undici:request:create', onRequest);
  await harness?.close();
});

test('the real steps create hello.py, check it in the sandbox and finish', async () => {
  const thread = 'thread-e2e-hello';
  const { run, model } = await harness.runScripted(
    scriptNamed('create-files'),
    thread,
    'create hello.py that prints hello, and check it',
  );

  expect(run).toMatchObject({ threadId: thread, status: 'success', stopReason: null, error: null });
  expect(run.summary).toEqual(expect.stringContaining('Wrote hello.py.'));
  expect(readFileSync(harness.workspaceFile(thread, 'hello.py'), 'utf8')).toBe("print('hello')\n");

  // plan + act + act; review's check passed, so it never asked the model.
  expect(run.usage.inputTokens).toBe(40 + 60 + 80);
  expect(run.usage.outputTokens).toBe(12 + 15 + 8);
  expect(model.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
    Array(3).fill('POST /v1/chat/completions'),
  );

  // review ran the one check itself, sandboxed: mode "none" would have logged SANDBOX DISABLED.
  const reviewed = () =>
    harness
      .logLines('host', 'agent')
      .find((line) => line.msg === 'reviewed' && line.runId === run.runId);
  await eventually('review logged its verdict', () => reviewed() !== undefined);
  expect(reviewed()).toMatchObject({ done: true, checks: 1 });
  expect(
    harness.logLines('host', 'system').filter((line) => line.msg.includes('SANDBOX DISABLED')),
  ).toEqual([]);

  // This process only talked to the host; the workers reached the model only through the harness.
  expect(fetched.length).toBeGreaterThan(0);
  expect(fetched.filter((url) => !url.startsWith(harness.hostOrigin))).toEqual([]);
}, 30_000);

test('edit_file replaces one exact match; a missing or repeated match leaves the file untouched', async () => {
  const thread = 'thread-e2e-edit';
  const { run, model } = await harness.runScripted(
    scriptNamed('edit-file'),
    thread,
    'rename old to new in config.txt',
  );

  expect(run).toMatchObject({ status: 'success', error: null });
  expect(readFileSync(harness.workspaceFile(thread, 'config.txt'), 'utf8')).toBe(
    'name = new\nmode = fast\n',
  );
  // What the model was told about each call, in call order.
  const [wrote, edited, noMatch, ambiguous] = observationsIn(model, 2);
  expect(wrote).toBe('Wrote 23 bytes to config.txt.');
  expect(edited).toBe('Edited config.txt: replaced 1 occurrence at line 1.');
  expect(noMatch).toContain('oldText was not found in config.txt (0 matches); file unchanged.');
  expect(ambiguous).toContain('oldText occurs 2 times in config.txt; file unchanged.');

  const state = await harness.threadState(thread);
  expect(state.filesChanged).toEqual(['config.txt']);
  // review ran the plan's check in the sandbox and it passed.
  expect(state.commandResults).toEqual([
    expect.objectContaining({ command: "grep -qx 'name = new' config.txt", exitCode: 0 }),
  ]);
}, 30_000);

test('python3 and node scripts run in the sandbox; their output and exit codes come back', async () => {
  const thread = 'thread-e2e-run';
  const { run, model } = await harness.runScripted(
    scriptNamed('run-python-node'),
    thread,
    'run python and node scripts',
  );

  expect(run).toMatchObject({ status: 'success', error: null });
  const state = await harness.threadState(thread);
  const failing = `python3 -c "import sys; print('failing on purpose, as the script says', file=sys.stderr); sys.exit(3)"`;
  expect(state.commandResults).toEqual([
    expect.objectContaining({ command: 'python3 calc.py', exitCode: 0, stdout: '45\n' }),
    expect.objectContaining({ command: 'node calc.mjs', exitCode: 0, stdout: '1,4,9\n' }),
    expect.objectContaining({
      command: failing,
      exitCode: 3,
      stdout: '',
      stderr: 'failing on purpose, as the script says\n',
      timedOut: false,
    }),
    // review's checks, run again by the review step.
    expect.objectContaining({ command: 'python3 calc.py', exitCode: 0, stdout: '45\n' }),
    expect.objectContaining({ command: 'node calc.mjs', exitCode: 0, stdout: '1,4,9\n' }),
  ]);
  const observations = observationsIn(model, 2);
  expect(observations[2]).toMatch(
    /^\$ python3 calc\.py\nexit code 0 in \d+ ms\n--- stdout ---\n45/,
  );
  expect(observations[4]).toContain('exit code 3');

  // One agent line per tool call, in the run's context, naming the call but never its contents.
  const toolLines = (): ReturnType<Harness['logLines']> =>
    harness
      .logLines('orchestrator', 'agent')
      .filter((line) => line.runId === run.runId && line.msg.startsWith('tool '));
  await eventually('the tool calls were logged', () => toolLines().length === 5);
  const lines = toolLines();
  expect(lines.map((line) => [line.msg, line.target, line.ok, line.code])).toEqual([
    ['tool write_file', 'calc.py', true, undefined],
    ['tool write_file', 'calc.mjs', true, undefined],
    ['tool run_command', 'python3 calc.py', true, undefined],
    ['tool run_command', 'node calc.mjs', true, undefined],
    ['tool run_command', `${failing.slice(0, 80)}…`, false, 'COMMAND_FAILED'],
  ]);
  for (const [index, line] of lines.entries()) {
    expect(line).toMatchObject({ threadId: thread, step: 'tools', tool: line.msg.slice(5) });
    expect(line.resultBytes).toBe(Buffer.byteLength(observations[index] ?? ''));
    expect(typeof line.durationMs).toBe('number');
    expect(JSON.stringify(line)).not.toContain('console.log');
  }
}, 30_000);

test('writes outside the workspace are refused as observations; nothing lands outside', async () => {
  const thread = 'thread-e2e-escape';
  const { run, model } = await harness.runScripted(
    scriptNamed('traversal'),
    thread,
    'try to escape the workspace',
  );

  // The refusals did not crash the run; the model's reviewer saw no changed file.
  expect(run).toMatchObject({ status: 'success', error: null });
  const [parent, absolute, encoded, cwd, shell] = observationsIn(model, 2);
  expect(parent).toBe('Refused: Path "../escape.txt" leads outside the workspace.');
  expect(absolute).toMatch(/^Refused: Path "\/etc\/x" is absolute/);
  expect(encoded).toMatch(/^Refused: /);
  expect(cwd).toMatch(/^Refused: /);
  // The shell got as far as the sandbox, whose root is read-only.
  expect(shell).toMatch(/exit code [1-9]/);
  expect(shell).toContain('Read-only file system');

  const state = await harness.threadState(thread);
  expect(state.filesChanged).toEqual([]);
  expect(state.commandResults).toEqual([
    expect.objectContaining({ command: 'echo out > ../escape.txt', timedOut: false }),
  ]);
  expect(state.commandResults[0]?.exitCode).not.toBe(0);
  for (const outside of [
    path.join(harness.workspaceRoot, 'escape.txt'),
    path.join(harness.workspaceRoot, 'escape-encoded.txt'),
    path.join(path.dirname(harness.workspaceRoot), 'escape.txt'),
    '/etc/x',
  ]) {
    expect(existsSync(outside)).toBe(false);
  }
  expect(existsSync(harness.workspaceFile(thread, 'escape.txt'))).toBe(false);
}, 30_000);

import { readFileSync } from 'node:fs';
import { observationsIn, scriptNamed, startHarness, type Harness } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

// Scripted tasks that take several turns through the real step functions, host and bubblewrap
// sandbox: a failing test the agent fixes, and a looping model the stuck detector stops.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('atolye-e2e-loops-');
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const toolLines = (runId: string) =>
  harness
    .logLines('orchestrator', 'agent')
    .filter((line) => line.runId === runId && line.msg.startsWith('tool '));

test('a failing unittest is fixed: it fails in the sandbox, the agent edits, it passes', async () => {
  const thread = 'thread-e2e-fix';
  const { run, model } = await harness.runScripted(
    scriptNamed('fix-failing-test'),
    thread,
    'fix add in mathx.py so its test passes',
  );

  expect(run).toMatchObject({ status: 'success', error: null });
  expect(run.summary).toContain('add adds now; the test passes.');
  expect(readFileSync(harness.workspaceFile(thread, 'mathx.py'), 'utf8')).toBe(
    'def add(a, b):\n    return a + b\n',
  );
  // plan + four acts; review's check passed, so it never asked the model.
  expect(model.requests).toHaveLength(5);

  const state = await harness.threadState(thread);
  // -B: the fix keeps mathx.py's size and lands within the second of the first run, so a cached
  // .pyc would pass Python's mtime+size check and run the old code.
  const unittest = 'python3 -B -m unittest test_mathx';
  expect(state.commandResults.map((record) => [record.command, record.exitCode])).toEqual([
    [unittest, 1], // the agent's first run, before the fix
    [unittest, 0], // its run after the edit
    [unittest, 0], // review's check
  ]);
  const [failed, passed, checked] = state.commandResults;
  expect(failed?.stderr).toContain('AssertionError: -1 != 5');
  expect(failed?.stderr).toContain('FAILED (failures=1)');
  expect(passed?.stderr).toMatch(/Ran 1 test in [\d.]+s\n\nOK/);
  expect(checked?.stderr).toContain('OK');
  expect(state.filesChanged).toEqual(['mathx.py', 'test_mathx.py']);
  expect(observationsIn(model, 3).at(-1)).toBe('Edited mathx.py: replaced 1 occurrence at line 2.');
}, 30_000);

test('the same call with the same result three times ends the run stuck; a follow-up run starts afresh', async () => {
  const thread = 'thread-e2e-stuck';
  const stuck = await harness.runScripted(scriptNamed('stuck'), thread, 'read missing.txt');

  expect(stuck.run).toMatchObject({ status: 'error', stopReason: 'stuck' });
  expect(stuck.run.error?.code).toBe('STUCK');
  // plan + three acts; the fourth act was stopped before it asked the model.
  expect(stuck.model.requests).toHaveLength(4);
  expect(observationsIn(stuck.model, 3)).toEqual(
    Array(2).fill(expect.stringContaining('does not exist')),
  );
  await eventually(
    'the three read_file calls were logged',
    () => toolLines(stuck.run.runId).length === 3,
  );
  expect(toolLines(stuck.run.runId)).toEqual(
    Array(3).fill(expect.objectContaining({ tool: 'read_file', target: 'missing.txt', ok: false })),
  );

  // The follow-up begins with the very call the first run repeated: the earlier repeats must not
  // count against it, or its first act would be declared stuck before asking the model.
  const next = await harness.runScripted(
    scriptNamed('stuck-follow-up'),
    thread,
    'create missing.txt',
  );
  expect(next.run).toMatchObject({ status: 'success', stopReason: null, error: null });
  expect(next.model.requests).toHaveLength(4);
  // Its first act sees the earlier task and its calls first, then its own brief last.
  const firstAct = (
    next.model.requests[1]?.body as { messages: { role: string; content: string }[] }
  ).messages;
  expect(firstAct.map((message) => message.role)).toEqual([
    'system',
    'user',
    ...['assistant', 'tool', 'assistant', 'tool', 'assistant', 'tool'],
    'user',
  ]);
  expect(firstAct[1]?.content).toBe('read missing.txt');
  expect(firstAct.at(-1)?.content).toContain('Task: create missing.txt');
  expect(readFileSync(harness.workspaceFile(thread, 'missing.txt'), 'utf8')).toBe('here\n');
  const state = await harness.threadState(thread);
  expect(state.iteration).toBe(3);
  expect(state.toolFingerprints).toHaveLength(2);
}, 30_000);

const UNITTEST = 'python3 -B -m unittest test_loop';

test('one command rerun with the same result ends the run stuck, though every run takes its own time', async () => {
  const thread = 'thread-e2e-repeat-command';
  const { run, model } = await harness.runScripted(
    scriptNamed('repeat-command'),
    thread,
    'make test_loop.py pass by rerunning it',
  );

  expect(run).toMatchObject({ status: 'error', stopReason: 'stuck' });
  expect(run.error).toEqual({
    code: 'STUCK',
    message: 'the model made the same tool calls with the same results 3 times in a row',
  });
  // plan + write_file + three identical runs; the fifth act was stopped before it asked the model.
  expect(model.requests).toHaveLength(5);
  const { commandResults } = await harness.threadState(thread);
  expect(commandResults.map((record) => [record.command, record.exitCode])).toEqual(
    Array(3).fill([UNITTEST, 1]),
  );
  // What made the old fingerprint miss the loop: durations in the observation and the runner's
  // own "Ran 1 test in 0.123s" differ from run to run (the test sleeps a random while).
  expect(new Set(commandResults.map((record) => record.durationMs)).size).toBeGreaterThan(1);
  expect(new Set(commandResults.map((record) => record.stderr)).size).toBeGreaterThan(1);
  for (const record of commandResults) expect(record.stderr).toContain('FAILED (failures=1)');
}, 30_000);

test('two commands taking turns with the same results end the run stuck after two cycles', async () => {
  const thread = 'thread-e2e-alternate';
  const { run, model } = await harness.runScripted(
    scriptNamed('alternate-commands'),
    thread,
    'make test_loop.py pass by looking and rerunning',
  );

  expect(run).toMatchObject({ status: 'error', stopReason: 'stuck' });
  expect(run.error).toEqual({
    code: 'STUCK',
    message:
      'the model alternated between the same two tool calls with the same results 2 times (A, B, A, B)',
  });
  // plan + write_file + A, B, A, B; the sixth act was stopped before it asked the model.
  expect(model.requests).toHaveLength(6);
  const grep = 'grep -n assert test_loop.py';
  const { commandResults } = await harness.threadState(thread);
  expect(commandResults.map((record) => [record.command, record.exitCode])).toEqual([
    [UNITTEST, 1],
    [grep, 0],
    [UNITTEST, 1],
    [grep, 0],
  ]);
  expect(commandResults[1]?.stdout).toBe('10:        self.assertEqual(1, 2)\n');
}, 30_000);

import { readFileSync } from 'node:fs';
import { scriptNamed, startHarness, type Harness } from './harness.js';
import { eventually } from '../../helpers/eventually.js';

// Context condensation through the real step functions, host, sandbox and ChatOpenAI: a 1000-token
// context condensed at 0.7, and a mock model reporting more input tokens each turn, so the
// second run's history crosses 700 tokens and its last act has the model summarize it first.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('atolye-e2e-condense-', {
    env: { ATOLYE_MODEL_CONTEXT_TOKENS: '1000', ATOLYE_MODEL_CONDENSE_AT: '0.7' },
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

interface SentMessage {
  role: string;
  content: unknown;
  tool_calls?: { function: { name: string; arguments: string } }[];
}
const messagesOf = (body: unknown): SentMessage[] => (body as { messages: SentMessage[] }).messages;

test('a history over the threshold is condensed by the model and the run still succeeds', async () => {
  const thread = 'thread-e2e-condense';
  const first = await harness.runScripted(
    scriptNamed('condense-first-run'),
    thread,
    'write notes.txt with a first line',
  );
  expect(first.run).toMatchObject({ status: 'success', error: null });

  const { run, model } = await harness.runScripted(
    scriptNamed('condense'),
    thread,
    'add a second line to notes.txt',
  );
  expect(run).toMatchObject({ status: 'success', error: null });
  expect(readFileSync(harness.workspaceFile(thread, 'notes.txt'), 'utf8')).toBe(
    'OLD-LINE\nNEW-LINE\n',
  );
  // plan, two acts, the summary call, the act after it; review's check passed without the model.
  expect(model.requests).toHaveLength(5);
  const summarize = messagesOf(model.requests[3]?.body);
  expect(String(summarize.at(-1)?.content)).toContain('[user] write notes.txt with a first line');

  // After the condensation the model gets the summary and the earlier task in the system prompt,
  // this run's brief, and only the newest turn: the edit and its reply.
  const after = messagesOf(model.requests[4]?.body);
  expect(after.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
  const system = String(after[0]?.content);
  expect(system).toContain(
    'SUMMARY-E2E: notes.txt was written with OLD-LINE, then NEW-LINE was added after it.',
  );
  expect(system).toContain('1. write notes.txt with a first line');
  expect(String(after[1]?.content)).toContain('Task: add a second line to notes.txt');
  expect(after[2]?.tool_calls?.map((call) => call.function.name)).toEqual(['edit_file']);
  expect(String(after[3]?.content)).toContain('Edited notes.txt');
  const sent = JSON.stringify(after);
  expect(sent).not.toContain('RUN-ONE-DONE');
  // No call of the condensed turns is sent again (the system prompt names tools in prose only).
  expect(sent).not.toContain('"name":"write_file"');
  expect(sent).not.toContain('"name":"read_file"');

  // The run's usage counts the summary call: 400 + 500 + 750 + 600 + 250 input tokens.
  expect(run.usage).toMatchObject({ inputTokens: 2500, outputTokens: 80 });

  await eventually(
    'the condensation was logged on the agent channel',
    () => condensedLines(run.runId).length === 1,
  );
  expect(condensedLines(run.runId)[0]).toMatchObject({
    level: 'info',
    function: 'act',
    source: 'model',
    tokensBefore: 750,
    tokensAfter: 250,
    tokensSaved: 500,
    summaryInputTokens: 600,
    summaryOutputTokens: 40,
    summary: 'SUMMARY-E2E: notes.txt was written with OLD-LINE, then NEW-LINE was added after it.',
  });

  // The transcript stays whole in the checkpoint; the summary is a plain JSON value beside it.
  const state = await harness.threadState(thread);
  expect(state.messages).toHaveLength(4 + 6); // task, write, reply, finish; task, three turns, finish
  expect(state.condensed).toEqual({
    summary: 'SUMMARY-E2E: notes.txt was written with OLD-LINE, then NEW-LINE was added after it.',
    tasks: ['write notes.txt with a first line', 'add a second line to notes.txt'],
    keepFrom: 7,
  });
  expect(state.contextTokens).toBe(250);
}, 60_000);

function condensedLines(runId: string) {
  return harness
    .logLines('host', 'agent')
    .filter((line) => line.runId === runId && line.msg === 'condensed history');
}

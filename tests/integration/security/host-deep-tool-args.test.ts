import { readFileSync } from 'node:fs';
import { MAX_TOOL_ARGS_DEPTH } from '../../../src/agent/model/index.js';
import { observationsIn, startHarness, type Harness } from '../e2e-agent/harness.js';

// A model that sends tool-call arguments nested 5,000 levels deep (about 30 KB) used to end the
// run with "Maximum call stack size exceeded" in `act`. Through the real steps, host and sandbox:
// the run goes on, and the model is told why its call was not run, in words it can act on.

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('atolye-deep-args-');
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

test('a 5,000-deep tool-call argument is an observation naming the limit; the run goes on', async () => {
  const levels = 5_000;
  const deep = `{"path":"deep.txt","content":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`;
  const thread = 'thread-deep-args';
  const { run, model } = await harness.runScripted(
    {
      turns: [
        {
          match: { role: 'user', contains: 'write fixed.txt' },
          reply: { content: '{"steps": ["write fixed.txt"], "checks": ["test -f fixed.txt"]}' },
        },
        {
          match: { role: 'user', contains: 'test -f fixed.txt' },
          reply: {
            tool_calls: [
              { name: 'list_files', arguments: {} },
              { name: 'write_file', arguments: deep },
            ],
          },
        },
        {
          match: { role: 'tool', contains: 'levels of arrays and objects' },
          reply: {
            tool_calls: [{ name: 'write_file', arguments: { path: 'fixed.txt', content: 'ok\n' } }],
          },
        },
        {
          match: { role: 'tool', contains: 'fixed.txt' },
          reply: { tool_calls: [{ name: 'finish', arguments: { summary: 'Wrote fixed.txt.' } }] },
        },
      ],
    },
    thread,
    'write fixed.txt',
  );

  expect(run).toMatchObject({ status: 'success', error: null });
  expect(readFileSync(harness.workspaceFile(thread, 'fixed.txt'), 'utf8')).toBe('ok\n');

  // The second act request carries one observation per call of the first: the call beside it,
  // which ran, then the refusal.
  const [listed, refusal] = observationsIn(model, 2);
  expect(refusal).toBe(
    `The arguments of write_file were not used: they nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels of arrays and objects, the limit for tool-call arguments. Call write_file again with flatter arguments (the tools need two or three levels).`,
  );
  expect(listed).toBeDefined();
  expect(listed).not.toContain('not used');

  // The model saw its own call again, without the arguments it could not have had back.
  const sent = model.requests[2]?.body as {
    messages: { role: string; tool_calls?: { function: { name: string; arguments: string } }[] }[];
  };
  const turn = sent.messages.find((message) => message.tool_calls !== undefined);
  expect(turn?.tool_calls?.map((call) => [call.function.name, call.function.arguments])).toEqual([
    ['list_files', '{}'],
    ['write_file', '{}'],
  ]);

  const lines = [
    ...harness.logLines('host', 'system'),
    ...harness.logLines('host', 'errors'),
    ...harness.logLines('orchestrator', 'errors'),
  ];
  expect(lines.filter((line) => JSON.stringify(line).includes('call stack'))).toEqual([]);
}, 60_000);

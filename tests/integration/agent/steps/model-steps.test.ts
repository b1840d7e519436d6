import { jest } from '@jest/globals';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { MockLlm } from '../../../../src/cli/mock-llm/index.js';
import { ActOutput, PlanOutput, ReviewOutput } from '../../../../src/agent/graph/steps.js';
import { MAX_TOOL_ARGS_DEPTH } from '../../../../src/agent/model/index.js';
import { runAct, runPlan, runReview } from '../../../../src/agent/steps/index.js';
import { toChatMessages, toStored } from '../../../../src/agent/steps/messages.js';
import { tempDir } from '../../../helpers/tmp.js';
import { mockModel } from './helpers.js';

const servers: MockLlm[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(script: Parameters<typeof mockModel>[0]) {
  const mock = await mockModel(script);
  servers.push(mock.server);
  return mock;
}

interface SentRequest {
  messages: { role: string; content: unknown; tool_call_id?: string }[];
  tools?: { function: { name: string } }[];
}
const sent = (server: MockLlm, index: number): SentRequest =>
  server.requests[index]?.body as SentRequest;

describe('the plan step', () => {
  it('reads a fenced JSON plan and reports usage priced from the table', async () => {
    const { server, deps } = await serve({
      turns: [
        {
          match: { role: 'user', contains: 'hello.py' },
          reply: {
            content:
              'Here it is:\n```json\n{"steps": ["write hello.py"], "checks": ["python3 hello.py"]}\n```',
          },
          usage: { prompt_tokens: 30, completion_tokens: 12 },
        },
      ],
    });
    const output = await runPlan({ task: 'Write hello.py', messages: [] }, deps);
    expect(PlanOutput.parse(output)).toEqual({
      plan: { steps: ['write hello.py'], checks: ['python3 hello.py'] },
      // The task opens the run's part of the thread history.
      messages: [{ type: 'human', data: expect.objectContaining({ content: 'Write hello.py' }) }],
      usage: { inputTokens: 30, outputTokens: 12, costUsd: 42 },
    });
    expect(sent(server, 0).messages[0]).toMatchObject({ role: 'system' });
  });

  it('asks once more after a malformed reply and sums both calls', async () => {
    const { server, deps } = await serve({
      turns: [
        {
          reply: { content: 'Sure! I will write the file.' },
          usage: { prompt_tokens: 10, completion_tokens: 5 },
        },
        {
          match: { role: 'user', contains: 'not the JSON object asked for' },
          reply: { content: '{"steps": ["write it"]}' },
          usage: { prompt_tokens: 20, completion_tokens: 5 },
        },
      ],
    });
    const output = await runPlan({ task: 'Write hello.py', messages: [] }, deps);
    expect(output.plan).toEqual({ steps: ['write it'], checks: [] });
    expect(output.usage).toEqual({ inputTokens: 30, outputTokens: 10, costUsd: 40 });
    expect(server.requests).toHaveLength(2);
  });

  it('fails with MODEL_BAD_REPLY after two replies that are not a plan', async () => {
    const { server, deps } = await serve({
      turns: [
        { reply: { content: '{"steps": "not a list"}' } },
        { reply: { content: '{ broken: json }' } },
      ],
    });
    await expect(runPlan({ task: 'Anything', messages: [] }, deps)).rejects.toMatchObject({
      code: 'MODEL_BAD_REPLY',
      retryable: true,
      message: expect.stringContaining('the JSON does not parse'),
    });
    expect(server.requests).toHaveLength(2);
  });
});

describe('the act step', () => {
  const plan = { steps: ['write hello.txt'], checks: ['test -f hello.txt'] };

  it('returns the tool calls with ids and the AI message as stored JSON', async () => {
    const { server, deps } = await serve({
      turns: [
        {
          match: { role: 'user', contains: 'reviewer' },
          reply: {
            content: 'Writing it.',
            tool_calls: [{ name: 'write_file', arguments: { path: 'hello.txt', content: 'hi' } }],
          },
          usage: { prompt_tokens: 100, completion_tokens: 20 },
        },
      ],
    });
    const output = ActOutput.parse(
      await runAct(
        {
          task: 'Write hello.txt',
          plan,
          messages: [],
          feedback: 'hello.txt is missing',
          iteration: 2,
        },
        deps,
      ),
    );
    expect(output.finish).toBeNull();
    expect(output.toolCalls).toEqual([
      { id: 'call_mock_1_0', name: 'write_file', args: { path: 'hello.txt', content: 'hi' } },
    ]);
    expect(output.usage).toEqual({ inputTokens: 100, outputTokens: 20, costUsd: 120 });
    const [message] = toChatMessages(output.messages);
    expect(AIMessage.isInstance(message)).toBe(true);
    expect((message as AIMessage).tool_calls).toEqual([
      expect.objectContaining({ id: 'call_mock_1_0', name: 'write_file' }),
    ]);
    const request = sent(server, 0);
    expect(request.tools?.map((tool) => tool.function.name)).toEqual(
      expect.arrayContaining(['write_file', 'run_command', 'finish']),
    );
    expect(String(request.messages[1]?.content)).toContain('test -f hello.txt');
  });

  it('reports finish with its summary and answers the unanswered finish call in a later history', async () => {
    const history = toStored([
      new HumanMessage('an earlier task'),
      new AIMessage({ content: 'done with it' }),
      new HumanMessage('Write a'),
      new AIMessage({
        content: '',
        tool_calls: [{ id: 'c1', name: 'write_file', args: { path: 'a', content: 'b' } }],
      }),
      new ToolMessage({ content: 'wrote a', tool_call_id: 'c1', name: 'write_file' }),
      new AIMessage({
        content: '',
        tool_calls: [{ id: 'c2', name: 'finish', args: { summary: 'early' } }],
      }),
    ]);
    const { server, deps } = await serve({
      turns: [
        {
          match: { role: 'tool' },
          reply: { tool_calls: [{ name: 'finish', arguments: { summary: 'Wrote a.' } }] },
        },
      ],
    });
    const output = await runAct(
      {
        task: 'Write a',
        plan: null,
        messages: JSON.parse(JSON.stringify(history)),
        feedback: null,
        iteration: 3,
      },
      deps,
    );
    expect(output.finish).toEqual({ summary: 'Wrote a.' });
    expect(output.toolCalls).toEqual([]);
    // The earlier task's turns, then this run's brief, then this run's turns.
    const messages = sent(server, 0).messages;
    expect(messages.map((m) => m.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
    ]);
    expect(messages[1]).toMatchObject({ content: 'an earlier task' });
    expect(String(messages[3]?.content)).toContain('Task: Write a');
    expect(messages[7]).toMatchObject({ tool_call_id: 'c2' });
  });

  it('refuses calls whose arguments nest too deep, are not JSON or not an object, saying why, and keeps the rest', async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
    const { deps } = await serve({
      turns: [
        {
          reply: {
            tool_calls: [
              { name: 'write_file', arguments: deep },
              { name: 'list_files', arguments: { path: '.' } },
              { name: 'finish', arguments: `{"summary": ${'['.repeat(40)}${']'.repeat(40)}}` },
              { name: 'edit_file', arguments: '{"path": "a.txt", ' },
              { name: 'read_file', arguments: '["a.txt"]' },
            ],
          },
        },
      ],
    });
    // LangChain warns about the call that is not JSON on the console.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const raw = await runAct(
      { task: 'Write a', plan: null, messages: [], feedback: null, iteration: 1 },
      deps,
    ).finally(() => warn.mockRestore());

    // The output is plain, shallow JSON again: it parses and crosses the IPC channel.
    const output = ActOutput.parse(JSON.parse(JSON.stringify(raw)));
    const tooDeep = expect.stringContaining(
      `nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels of arrays and objects, the limit for tool-call arguments`,
    );
    expect(output.toolCalls).toEqual([
      { id: 'call_mock_1_0', name: 'write_file', args: {}, refused: tooDeep },
      { id: 'call_mock_1_1', name: 'list_files', args: { path: '.' } },
      { id: 'call_mock_1_2', name: 'finish', args: {}, refused: tooDeep },
      // Calls LangChain could not parse come after the ones it could.
      {
        id: 'call_mock_1_4',
        name: 'read_file',
        args: {},
        refused:
          'Your arguments for read_file were an array, not a JSON object. Nothing was run; send the call again with its arguments as one JSON object, e.g. {"path": "notes.txt"}.',
      },
      {
        id: 'call_mock_1_3',
        name: 'edit_file',
        args: {},
        // JSON.parse's own words (Node's wording varies by version), never the argument text.
        refused: expect.stringMatching(
          /^Your arguments for edit_file were not valid JSON: [^\n]*JSON[^\n]*\. Nothing was run; send the call again with its arguments as one JSON object\.$/,
        ),
      },
    ]);
    // A refused finish is no finish: the model hears why and calls it again.
    expect(output.finish).toBeNull();
    const [message] = toChatMessages(output.messages);
    expect((message as AIMessage).tool_calls?.map((call) => [call.id, call.args])).toEqual([
      ['call_mock_1_0', {}],
      ['call_mock_1_1', { path: '.' }],
      ['call_mock_1_2', {}],
      ['call_mock_1_4', {}],
      ['call_mock_1_3', {}],
    ]);
  });
});

describe('the review step without checks', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const refuse = { run: () => Promise.reject(new Error('no check should run')) };
  const input = (messages = toStored([new AIMessage('All done.')])) => ({
    task: 'Write a',
    plan: { steps: ['write a'], checks: [] },
    messages,
    filesChanged: ['a'],
    commandResults: [],
  });

  it('asks the model and passes its feedback on', async () => {
    const { server, deps } = await serve({
      turns: [
        {
          match: { contains: 'All done.' },
          reply: { content: '{"done": false, "feedback": "a is empty"}' },
        },
        { reply: { content: '{"done": true}' } },
      ],
    });
    const first = ReviewOutput.parse(
      await runReview(input(), { ...deps, workspace: tmp.dir, sandbox: refuse }),
    );
    expect(first).toMatchObject({ done: false, feedback: 'a is empty', commandResults: [] });
    expect(first.usage?.inputTokens).toBeGreaterThan(0);
    const second = await runReview(input([]), { ...deps, workspace: tmp.dir, sandbox: refuse });
    expect(second).toMatchObject({ done: true, feedback: null });
    expect(String(sent(server, 0).messages[1]?.content)).toContain('Files changed: a');
  });

  it('does not call a run done when the reviewer answers without JSON', async () => {
    const { deps } = await serve({ turns: [{ reply: { content: 'Looks great to me!' } }] });
    const output = await runReview(input(), { ...deps, workspace: tmp.dir, sandbox: refuse });
    expect(output.done).toBe(false);
    expect(output.feedback).toContain('could not be read');
  });
});

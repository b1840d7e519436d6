import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { createChatModel } from '../../../../src/agent/model/index.js';
import { ActOutput } from '../../../../src/agent/graph/steps.js';
import {
  condensationLogFields,
  runAct,
  runPlan,
  type ModelStepDeps,
} from '../../../../src/agent/steps/index.js';
import { toStored } from '../../../../src/agent/steps/messages.js';
import type { StepArgs } from '../../../../src/agent/steps/types.js';
import type { MockLlm, ScriptInput } from '../../../../src/cli/mock-llm/index.js';
import { mockModel, modelConfig } from './helpers.js';

// The act step condensing the history, with the real ChatOpenAI over HTTP: against the mock model
// for the summaries, and against a bare server for the failures the mock cannot script.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A 1000-token context condensed at 0.7: the threshold is 700 reported input tokens. */
function small(deps: ModelStepDeps): ModelStepDeps {
  const config = { model: { ...deps.config.model, contextTokens: 1000, condenseAt: 0.7 } };
  return { ...deps, model: createChatModel(config), config };
}

async function serve(script: ScriptInput): Promise<{ server: MockLlm; deps: ModelStepDeps }> {
  const mock = await mockModel(script);
  cleanups.push(() => mock.server.close());
  return { server: mock.server, deps: small(mock.deps) };
}

interface SentRequest {
  messages: { role: string; content: unknown; tool_call_id?: string; tool_calls?: unknown[] }[];
}
const sent = (server: MockLlm, index: number): SentRequest =>
  server.requests[index]?.body as SentRequest;

/** An earlier run (write old.txt, finish), then this run's task and two turns of reads. */
const history = () =>
  toStored([
    new HumanMessage('first task: write old.txt'),
    new AIMessage({
      content: '',
      tool_calls: [
        { id: 'a', name: 'write_file', args: { path: 'old.txt', content: 'OLD-CONTENT' } },
      ],
    }),
    new ToolMessage({
      content: 'Wrote old.txt (11 bytes).',
      tool_call_id: 'a',
      name: 'write_file',
    }),
    new AIMessage({
      content: '',
      tool_calls: [{ id: 'f', name: 'finish', args: { summary: 'old.txt is written' } }],
    }),
    new HumanMessage('second task: read x and y'),
    new AIMessage({
      content: 'Reading x.',
      tool_calls: [{ id: 'b', name: 'read_file', args: { path: 'x.txt' } }],
    }),
    new ToolMessage({ content: 'x body '.repeat(20), tool_call_id: 'b', name: 'read_file' }),
    new AIMessage({
      content: '',
      tool_calls: [{ id: 'c', name: 'read_file', args: { path: 'y.txt' } }],
    }),
    new ToolMessage({ content: 'y body', tool_call_id: 'c', name: 'read_file' }),
  ]);

const actInput = (
  contextTokens: number | undefined,
  extra: Partial<StepArgs<'act'>> = {},
): StepArgs<'act'> => ({
  task: 'second task: read x and y',
  plan: null,
  messages: JSON.parse(JSON.stringify(history())) as StepArgs<'act'>['messages'],
  feedback: null,
  iteration: 3,
  contextTokens,
  ...extra,
});

const summaryTurn = (content: string) => ({
  match: { role: 'user' as const, contains: 'Turns to condense' },
  reply: { content },
  usage: { prompt_tokens: 500, completion_tokens: 30 },
});
const finishTurn = {
  match: { role: 'tool' as const, contains: 'y body' },
  reply: { tool_calls: [{ name: 'finish', arguments: { summary: 'read both' } }] },
  usage: { prompt_tokens: 200, completion_tokens: 10 },
};

const text = (message: { content: unknown } | undefined) => String(message?.content ?? '');

describe('the act step condensing the history', () => {
  it('summarizes the older turns once the reported tokens reach the threshold, and sends the summary instead', async () => {
    const { server, deps } = await serve({
      turns: [summaryTurn('SUMMARY-1: old.txt was written; x.txt was read.'), finishTurn],
    });
    const output = ActOutput.parse(await runAct(actInput(700), deps));

    expect(server.requests).toHaveLength(2);
    const summarize = sent(server, 0).messages;
    expect(summarize.map((m) => m.role)).toEqual(['system', 'user']);
    expect(text(summarize[1])).toContain('[assistant calls write_file] {"path":"old.txt"');
    expect(text(summarize[1])).toContain('[user] first task: write old.txt');

    // The model is sent the summary and the tasks, then the brief and the newest turn verbatim.
    const act = sent(server, 1).messages;
    expect(act.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(text(act[0])).toContain('SUMMARY-1: old.txt was written; x.txt was read.');
    expect(text(act[0])).toContain('1. first task: write old.txt\n2. second task: read x and y');
    expect(text(act[1])).toContain('Task: second task: read x and y');
    expect(act[3]).toMatchObject({ tool_call_id: 'c', content: 'y body' });
    expect(JSON.stringify(act)).not.toContain('OLD-CONTENT');
    expect(JSON.stringify(act)).not.toContain('x body');

    expect(output.finish).toEqual({ summary: 'read both' });
    expect(output.condensation).toEqual({
      summary: 'SUMMARY-1: old.txt was written; x.txt was read.',
      tasks: ['first task: write old.txt', 'second task: read x and y'],
      dropped: 7,
      source: 'model',
      tokensBefore: 700,
      tokensAfter: 200,
      usage: { inputTokens: 500, outputTokens: 30, costUsd: 530 },
    });
    // The step's usage counts both calls (1 USD per token here).
    expect(output.usage).toEqual({ inputTokens: 700, outputTokens: 40, costUsd: 740 });
    expect(output.contextTokens).toBe(200);
    expect(condensationLogFields(output.condensation!)).toEqual({
      messagesCondensed: 7,
      tasks: 2,
      source: 'model',
      tokensBefore: 700,
      tokensAfter: 200,
      tokensSaved: 500,
      summaryInputTokens: 500,
      summaryOutputTokens: 30,
      summaryCostUsd: 530,
      summary: 'SUMMARY-1: old.txt was written; x.txt was read.',
    });
  });

  it('does not condense below the threshold, nor without a reported size', async () => {
    const { server, deps } = await serve({ turns: [finishTurn, finishTurn] });
    const below = await runAct(actInput(699), deps);
    const unknown = await runAct(actInput(undefined), deps);

    expect(server.requests).toHaveLength(2);
    expect(below.condensation).toBeNull();
    expect(unknown.condensation).toBeNull();
    // The system prompt, the history with its task in the brief's place, "Noted." for finish.
    expect(sent(server, 0).messages).toHaveLength(1 + 9 + 1);
  });

  it('condenses again on top of an earlier summary, which the summarizer reads first', async () => {
    const { server, deps } = await serve({ turns: [summaryTurn('SUMMARY-2'), finishTurn] });
    const condensed = { summary: 'SUMMARY-0 of the oldest turns', tasks: ['task zero'] };
    const output = await runAct(actInput(900, { condensed }), deps);

    expect(text(sent(server, 0).messages[1])).toMatch(
      /^Summary of even older turns:\nSUMMARY-0 of the oldest turns\n\nTurns to condense:/,
    );
    expect(output.condensation).toMatchObject({
      summary: 'SUMMARY-2',
      tasks: ['task zero', 'first task: write old.txt', 'second task: read x and y'],
    });
    expect(text(sent(server, 1).messages[0])).toContain('1. task zero\n2. first task');
  });

  it('lets a digest of the calls stand in when the model answers with an empty summary', async () => {
    const { server, deps } = await serve({ turns: [summaryTurn('  '), finishTurn] });
    const condensed = { summary: 'SUMMARY-0', tasks: [] };
    const output = await runAct(actInput(800, { condensed }), deps);

    expect(output.condensation).toMatchObject({
      source: 'digest',
      problem: 'the model answered with an empty summary',
      usage: { inputTokens: 500, outputTokens: 30 },
    });
    expect(output.condensation?.summary).toContain('- Called write_file {"path":"old.txt"');
    expect(output.condensation?.summary).toContain('  → Wrote old.txt (11 bytes).');
    expect(output.condensation?.summary).toMatch(/\nBefore those turns:\nSUMMARY-0$/);
    expect(text(sent(server, 1).messages[0])).toContain('No summary could be written');
    expect(output.usage?.inputTokens).toBe(700);
  });
});

describe('the summary call failing', () => {
  it('keeps a retryable failure retryable, and makes no act call', async () => {
    // Once: the model client makes one request (model/factory.ts); the step retry policy owns
    // any retry of a failure the server gave no directions for.
    const overloaded = { status: 500, body: errorBody('overloaded') };
    const server = await answering([overloaded, overloaded]);
    await expect(runAct(actInput(800), small(baseDeps(server.url)))).rejects.toMatchObject({
      code: 'MODEL_ERROR',
      retryable: true,
    });
    expect(server.bodies).toHaveLength(1);
    for (const body of server.bodies) {
      expect(text((body as SentRequest).messages.at(-1))).toContain('Turns to condense');
    }
  });

  it('goes on with the digest after a failure that retrying cannot fix, estimating an unreported size', async () => {
    const server = await answering([
      { status: 400, body: errorBody('maximum context length exceeded') },
      { status: 200, body: completion() },
    ]);
    const output = await runAct(actInput(800), small(baseDeps(server.url)));

    expect(output.condensation).toMatchObject({ source: 'digest', tokensBefore: 800 });
    expect(output.condensation?.problem).toMatch(/^MODEL_ERROR: .*400/);
    expect(output.condensation).not.toHaveProperty('usage');
    const fields = condensationLogFields(output.condensation!);
    expect(fields).toMatchObject({
      source: 'digest',
      problem: expect.stringMatching(/^MODEL_ERROR/),
    });
    expect(fields).not.toHaveProperty('summaryInputTokens');
    expect(server.bodies).toHaveLength(2);
    // The server reported no usage: the size is estimated from the characters sent.
    expect(output.contextTokens).toBeGreaterThan(0);
    expect(output.usage).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
  });
});

describe('the plan step after a condensation', () => {
  it('reads the summary and the tasks in its system prompt', async () => {
    const mock = await mockModel({
      turns: [{ reply: { content: '{"steps": ["go on"], "checks": []}' } }],
    });
    cleanups.push(() => mock.server.close());
    await runPlan(
      {
        task: 'third task',
        messages: [],
        condensed: { summary: 'SUMMARY-P', tasks: ['task one'] },
      },
      mock.deps,
    );
    const system = text(sent(mock.server, 0).messages[0]);
    expect(system).toContain('Tasks the user gave in those turns, oldest first:\n1. task one');
    expect(system).toContain('Summary of those turns:\nSUMMARY-P');
  });
});

function baseDeps(url: string): ModelStepDeps {
  const config = modelConfig(url);
  return { model: createChatModel(config), config };
}

function errorBody(message: string): object {
  return { error: { message, type: 'invalid_request_error', code: null } };
}

/** A chat completion without usage, as some OpenAI-compatible servers send. */
function completion(): object {
  return {
    id: 'chatcmpl-bare',
    object: 'chat.completion',
    created: 0,
    model: 'mock',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Going on.' },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
  };
}

/** A model server answering its requests with `answers`, in order; it records the bodies. */
async function answering(
  answers: { status: number; body: object }[],
): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const answer = answers[bodies.length - 1] ?? { status: 409, body: errorBody('no answer') };
      // No retry directions (Retry-After, x-should-retry): the model client sends one request.
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { buildAgentGraph } from '../../../../src/agent/graph/graph.js';
import {
  finalizeReply,
  finishReply,
  planReply,
  reviewDone,
  scriptedSteps,
  toolCallReply,
  toolsReply,
} from '../../../unit/agent/graph/fake-steps.js';

describe('agent graph on a SQLite checkpointer', () => {
  let dir: string;
  const savers: SqliteSaver[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'atolye-graph-'));
  });
  afterEach(() => {
    for (const saver of savers.splice(0)) saver.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const saverOn = (file: string) => {
    const saver = SqliteSaver.fromConnString(file);
    savers.push(saver);
    return saver;
  };

  it('resumes a run after the orchestrator died mid-step, without re-running finished steps', async () => {
    const file = join(dir, 'checkpoints.sqlite');
    const config = { configurable: { thread_id: 'thread-r', run_id: 'run-r' } };
    const writeCall = { id: 'call-1', name: 'write_file' };

    // First orchestrator: the second `act` never answers, and the process "dies" while waiting.
    const dying = new AbortController();
    let hung = (): void => undefined;
    const hungAct = new Promise<void>((resolve) => {
      hung = resolve;
    });
    const first = scriptedSteps({
      plan: [planReply()],
      act: [
        toolCallReply('call-1', 'write_file', { path: 'hello.txt', content: 'hi' }),
        () => {
          hung();
          return new Promise(() => undefined);
        },
      ],
      tools: [toolsReply([writeCall], 'wrote hello.txt', { filesChanged: ['hello.txt'] })],
    });
    const firstGraph = buildAgentGraph({ callStep: first.callStep, checkpointer: saverOn(file) });
    const running = firstGraph.invoke(
      { task: 'write hello.txt' },
      { ...config, signal: dying.signal },
    );
    await hungAct;
    dying.abort(new Error('orchestrator died'));
    await expect(running).rejects.toThrow();
    expect(first.order()).toEqual(['plan', 'act', 'tools', 'act']);

    // Second orchestrator: a new graph and a new connection on the same file.
    const second = scriptedSteps({
      act: [finishReply()],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    const secondGraph = buildAgentGraph({ callStep: second.callStep, checkpointer: saverOn(file) });
    const pending = await secondGraph.getState(config);
    expect(pending.next).toEqual(['act']);

    const state = await secondGraph.invoke(null, config);

    expect(second.order()).toEqual(['act', 'review', 'finalize']);
    expect(state.status).toBe('success');
    expect(state.iteration).toBe(2);
    expect(state.filesChanged).toEqual(['hello.txt']);
    expect(state.messages.map((message) => message.type)).toEqual(['ai', 'tool', 'ai']);
    // The re-sent step carries the key of the attempt that was lost, so a host can deduplicate it.
    const lostAct = first.calls.at(-1);
    expect(second.calls[0]?.options.idempotencyKey).toBe(lostAct?.options.idempotencyKey);
  });

  it('keeps the finished state of a thread readable from a new connection', async () => {
    const file = join(dir, 'checkpoints.sqlite');
    const config = { configurable: { thread_id: 'thread-s', run_id: 'run-s' } };
    const steps = scriptedSteps({
      plan: [planReply()],
      act: [finishReply()],
      review: [reviewDone],
      finalize: [finalizeReply],
    });
    await buildAgentGraph({ callStep: steps.callStep, checkpointer: saverOn(file) }).invoke(
      { task: 'write hello.txt' },
      config,
    );

    const reader = buildAgentGraph({ callStep: steps.callStep, checkpointer: saverOn(file) });
    const snapshot = await reader.getState(config);
    expect(snapshot.next).toEqual([]);
    expect(snapshot.values).toMatchObject({ status: 'success', summary: 'Wrote hello.txt.' });
    // Read back as plain JSON objects: nothing was revived into message classes.
    const messages = (snapshot.values as { messages: object[] }).messages;
    expect(messages).toHaveLength(1);
    for (const message of messages) {
      expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
      expect(message).toMatchObject({ type: 'ai', data: { content: 'wrote hello.txt' } });
    }
  });
});

import net from 'node:net';
import { startInjector } from '../../chaos/injector.js';
import { startModelFront, type ModelFront } from '../../chaos/model-front.js';
import { eventually } from '../../helpers/eventually.js';
import { createHarness, type Harness } from '../../performance/harness.js';
import { SIMPLE_FILE } from '../../performance/stack.js';

// The fault injector of `npm run chaos` (tests/chaos) does what its figures say it did: faults
// are applied until stop() and undone once after the last; the model front answers each turn of
// the one-file task from the conversation, and is down, failing or cutting its replies on demand.

test('applies a fault until stopped, then undoes it once, after the last application', async () => {
  const order: string[] = [];
  const injector = startInjector({
    name: 'fake',
    everyMs: { min: 5, max: 5 },
    apply: async () => {
      order.push('apply');
      return order.length % 2 === 0 ? 'even' : 'odd';
    },
    undo: async () => void order.push('undo'),
  });
  await eventually('three applications', () => order.length >= 3);
  await Promise.all([injector.stop(), injector.stop()]);
  const applied = order.filter((step) => step === 'apply').length;
  expect(order).toEqual([...Array<string>(applied).fill('apply'), 'undo']);
  const { outcomes, events } = injector.report();
  expect((outcomes.odd ?? 0) + (outcomes.even ?? 0)).toBe(applied);
  expect(events).toHaveLength(applied);
});

describe('the model front', () => {
  let harness: Harness;
  let front: ModelFront;
  const chat = (body: object): Promise<Response> =>
    fetch(`${front.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock', ...body }),
    });
  const tool = { type: 'function', function: { name: 'finish', parameters: {} } };
  const act = { messages: [{ role: 'user', content: 'task' }], tools: [tool] };

  beforeAll(async () => {
    harness = createHarness();
    front = await startModelFront(harness, { hitRate: 1 });
  }, 60_000);

  afterAll(async () => {
    await front?.close();
    harness?.cleanup();
  });

  test('answers each turn of the one-file task from the conversation, as often as asked', async () => {
    const replies = async (body: object): Promise<string> => {
      const answer = (await (await chat(body)).json()) as {
        choices: { message: { content?: string; tool_calls?: { function: { name: string } }[] } }[];
      };
      const { message } = answer.choices[0] ?? { message: {} };
      return (
        message.tool_calls?.map((call) => call.function.name).join(',') ?? message.content ?? ''
      );
    };
    const plan = { messages: [{ role: 'user', content: 'task' }] };
    const afterTools = {
      ...act,
      messages: [...act.messages, { role: 'tool', content: 'done', tool_call_id: 'c1' }],
    };
    // Asked twice (a retried step), the same turn gets the same reply.
    for (let time = 0; time < 2; time += 1) {
      expect(await replies(plan)).toContain(SIMPLE_FILE);
      expect(await replies(act)).toBe('write_file,run_command');
      expect(await replies(afterTools)).toBe('finish');
    }
  });

  test('is down, answers 500 or cuts its reply while that fault is in force', async () => {
    const forwarded = front.faultCounts().forwarded ?? 0;
    await front.setFault('refused');
    // A new connection, not the client's pooled one (which the front closed as it went down).
    const connecting = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(front.url).port), '127.0.0.1');
      socket.once('connect', () => resolve(`connected (${void socket.destroy()})`));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(connecting).toBe('ECONNREFUSED');

    await front.setFault('error500');
    expect((await chat(act)).status).toBe(500);

    await front.setFault('truncated');
    const cut = await chat(act);
    expect(cut.status).toBe(200);
    await expect(cut.text()).rejects.toThrow();

    await front.setFault(undefined);
    expect((await chat(act)).status).toBe(200);
    expect(front.faultCounts()).toMatchObject({
      error500: 1,
      truncated: 1,
      forwarded: forwarded + 1,
    });
  });
});

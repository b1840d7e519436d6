import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@langchain/langgraph-sdk';
import { eventually } from '../../helpers/eventually.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from './api-helpers.js';
import { startStepHost, stepsOf, type StepHost } from './helpers.js';

// A paused run calls its webhook with the held calls; an approval nobody gives in time is a
// rejection, also when the orchestrator restarted while it waited.

let root: ReturnType<typeof tempDir>;
let fixtureDir: string;
let stepHost: StepHost;
let receiver: Server;
const received: Record<string, unknown>[] = [];

beforeAll(async () => {
  root = tempDir('atolye-api-approval-timeout-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  receiver = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await stepHost?.stop();
  root?.cleanup();
});

function startApi(timeoutMs: number): Promise<TestApi> {
  return startTestApi(root.dir, stepHost, {
    'api.webhookAllowHosts': '127.0.0.1',
    'agent.approval': 'always',
    'agent.approvalTimeoutMs': String(timeoutMs),
  });
}

test('the webhook of a paused run carries the held calls', async () => {
  const api = await startApi(0);
  try {
    const client = new Client({ apiUrl: api.url, apiKey: api.key });
    const thread = await client.threads.create();
    const { port } = receiver.address() as { port: number };
    const run = await client.runs.create(thread.thread_id, 'atolye', {
      input: { task: 'hooked' },
      webhook: `http://127.0.0.1:${port}/hook`,
    });
    await client.runs.join(thread.thread_id, run.run_id);
    const body = await eventually('the webhook of the paused run', () =>
      received.find((item) => item.run_id === run.run_id),
    );
    expect(body).toMatchObject({
      status: 'interrupted',
      stop_reason: 'approval',
      interrupts: [
        {
          value: {
            tool_calls: [{ id: 'call-1', name: 'write_file', args: { path: 'notes.txt' } }],
          },
        },
      ],
    });
  } finally {
    await api.stop();
  }
});

test('an approval not given in time is a rejection, after a restart too', async () => {
  // Paused under an orchestrator that would wait a day, then picked up by one that waits 300 ms.
  const patient = await startApi(86_400_000);
  const client = new Client({ apiUrl: patient.url, apiKey: patient.key });
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, 'atolye', { input: { task: 'waits' } });
  await client.runs.join(thread.thread_id, run.run_id);
  await patient.stop();

  const impatient = await startApi(300);
  try {
    // The first start's key is not this one's: the admin key sees every thread.
    const again = new Client({ apiUrl: impatient.url, apiKey: impatient.adminKey });
    const answer = await eventually('the run that answers the timed-out approval', async () => {
      const [last] = await again.runs.list(thread.thread_id, { limit: 1 });
      return last && last.run_id !== run.run_id ? last : undefined;
    });
    expect(answer.metadata).toEqual({ approval_timeout: true });
    await again.runs.join(thread.thread_id, answer.run_id);
    expect(stepsOf(fixtureDir, answer.run_id)).not.toContain('tools');
    const { values } = await again.threads.getState(thread.thread_id);
    const messages = (values as { messages: { type: string; data: { content: string } }[] })
      .messages;
    expect(messages.find((message) => message.type === 'tool')?.data.content).toBe(
      'A person rejected this write_file call; it was not run. Reason: no approval within 300 ms (agent.approvalTimeoutMs)',
    );
  } finally {
    await impatient.stop();
  }
});

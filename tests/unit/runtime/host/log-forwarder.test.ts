import type { LogRecord } from '../../../../src/logging/record.js';
import { LogForwarder } from '../../../../src/runtime/host/log-forwarder.js';
import { silentLogger } from '../../../../src/runtime/host/log.js';
import type { ForwardedLog } from '../../../../src/runtime/protocol.js';

function forwarder() {
  const written: LogRecord[] = [];
  const logs = new LogForwarder(
    'plan',
    42,
    { env: 'testing', release: 'r1' },
    { ...silentLogger, writeRecord: (record) => void written.push(record) },
  );
  const flushed = () => new Promise((resolve) => setImmediate(resolve));
  return { logs, written, flushed };
}

test('a record gets the context of its call, the function as service, and keeps its fields', async () => {
  const { logs, written, flushed } = forwarder();
  const meta = {
    invocationId: 'inv-1',
    requestId: 'req-1',
    threadId: 't',
    runId: 'r',
    step: 'plan',
    attempt: 1,
  };
  logs.started(meta);
  logs.forward({
    level: 'warn',
    msg: 'slow model',
    fields: { tokens: 5, msg: 'not this', channel: 'user_interactions' },
    invocationId: 'inv-1',
  });
  expect(written).toHaveLength(0); // written after the turn's replies
  await flushed();
  expect(written[0]).toMatchObject({
    level: 'warn',
    channel: 'user_interactions',
    msg: 'slow model',
    service: 'plan',
    function: 'plan',
    worker: 42,
    env: 'testing',
    release: 'r1',
    invocationId: 'inv-1',
    requestId: 'req-1',
    threadId: 't',
    runId: 'r',
    step: 'plan',
    tokens: 5,
  });
});

test('records arriving after the reply keep their context for the last 256 calls', async () => {
  const { logs, written, flushed } = forwarder();
  for (let i = 0; i < 300; i += 1) {
    const meta = { invocationId: `inv-${i}`, requestId: `req-${i}`, attempt: 1 };
    logs.started(meta);
    logs.finished(meta);
  }
  logs.forward({ level: 'info', msg: 'late', invocationId: 'inv-299' });
  logs.forward({ level: 'info', msg: 'too late', invocationId: 'inv-0' });
  await flushed();
  expect(written[0]?.requestId).toBe('req-299');
  expect(written[1]?.requestId).toBeUndefined();
  expect(written[1]?.invocationId).toBe('inv-0');
});

test('malformed records are written defensively: unknown level and channel fall back, junk is dropped', async () => {
  const { logs, written, flushed } = forwarder();
  logs.forward({
    level: 'loud',
    msg: 12,
    fields: { channel: 'nowhere' },
  } as unknown as ForwardedLog);
  logs.forward(null as unknown as ForwardedLog);
  logs.finished({ invocationId: 'never-started', attempt: 1 });
  await flushed();
  expect(written).toHaveLength(1);
  expect(written[0]).toMatchObject({ level: 'info', channel: 'agent', msg: '12' });
});

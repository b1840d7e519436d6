import { randomUUID } from 'node:crypto';
import {
  createGateway,
  FunctionPool,
  Registry,
  type Gateway,
} from '../../../src/runtime/host/index.js';
import { signedCall, type CallReply } from '../../helpers/signed-call.js';
import { tempDir } from '../../helpers/tmp.js';
import { bundleFixtures, poolSpec, STAMP } from '../runtime/host/harness.js';

/**
 * An idempotency key names one call. Repeating it with the same call returns the first reply;
 * repeating it with a different call is refused (422), never answered with another call's reply.
 * A real host on port 0 serves the real echo function, whose counter shows how often it ran.
 */

const SECRET = 'host-idempotency-test-secret';
const tmp = tempDir('atolye-host-idem-');
let gateway: Gateway;
let url: string;

interface EchoReply {
  output: { message: string; invocations: number };
}
interface ErrorReply {
  error: { code: string; message: string; retryable: boolean };
}

/** A freshly signed call (each attempt re-signed, as the invoke client does) with a key. */
const call = (name: string, body: unknown, key: string): Promise<CallReply> =>
  signedCall(url, name, body, { secret: SECRET, headers: { 'idempotency-key': key } });
const newKey = () => `key-${randomUUID()}`;
const errorOf = (reply: CallReply) => (reply.body as ErrorReply).error;

/** How often echo's one worker has run, counting this call. */
async function ran(): Promise<number> {
  const reply = await signedCall(
    url,
    'echo',
    { input: { message: `count-${randomUUID()}` } },
    { secret: SECRET },
  );
  if (reply.status !== 200) throw new Error(`count call replied ${reply.status}`);
  return (reply.body as EchoReply).output.invocations;
}

beforeAll(async () => {
  const bundles = await bundleFixtures(['echo', 'sleepy'], tmp.dir);
  const registry = new Registry();
  const deps = { stamp: STAMP, stopGraceMs: 500 };
  registry.swap(
    'echo',
    new FunctionPool(poolSpec('echo', bundles.echo, { concurrency: 4, maxWorkers: 1 }), deps),
  );
  registry.swap('sleepy', new FunctionPool(poolSpec('sleepy', bundles.sleepy), deps));
  gateway = createGateway({
    config: { security: { signingSecret: SECRET, adminToken: '' } },
    registry,
  });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await gateway.close();
  tmp.cleanup();
});

test('the same key with a different input is a 422 naming the key; the handler does not run', async () => {
  const key = newKey();
  const before = await ran();
  const first = await call('echo', { input: { message: 'pay 10' } }, key);
  expect(first.status).toBe(200);

  const reused = await call('echo', { input: { message: 'pay 1000' } }, key);
  expect(reused.status).toBe(422);
  expect(errorOf(reused)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
  expect(errorOf(reused).message).toContain(`"${key}"`);
  expect(reused.headers.get('idempotent-replayed')).toBeNull();

  expect(await ran()).toBe(before + 2);
  // The key still answers its own call.
  const again = await call('echo', { input: { message: 'pay 10' } }, key);
  expect(again.body).toEqual(first.body);
});

test('the same key with the same input gets the first reply, whatever the attempt, invocation id or key order', async () => {
  const key = newKey();
  const before = await ran();
  const first = await call(
    'echo',
    { input: { message: 'same', delayMs: 0 }, meta: { invocationId: 'inv-a', attempt: 1 } },
    key,
  );
  expect(first.status).toBe(200);
  expect((first.body as EchoReply).output.invocations).toBe(before + 1);

  // A resumed step sends a new invocation id and attempt; its JSON may order keys differently.
  const repeat = await call(
    'echo',
    { meta: { attempt: 2, invocationId: 'inv-b' }, input: { delayMs: 0, message: 'same' } },
    key,
  );
  expect(repeat.status).toBe(200);
  expect(repeat.headers.get('idempotent-replayed')).toBe('true');
  expect(repeat.body).toEqual(first.body);
  expect(await ran()).toBe(before + 2);
});

test('a different call with the key of one still running is a 422 at once; the first is unaffected', async () => {
  const key = newKey();
  const before = await ran();
  const slow = call('echo', { input: { message: 'slow', delayMs: 300 } }, key);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  const reused = await call('echo', { input: { message: 'other', delayMs: 300 } }, key);
  expect(reused.status).toBe(422);
  expect(errorOf(reused).code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(errorOf(reused).message).toContain('still running');
  expect(Date.now() - started).toBeLessThan(250);

  const first = await slow;
  expect(first.status).toBe(200);
  expect((first.body as EchoReply).output.message).toBe('slow');
  expect(await ran()).toBe(before + 2);
});

test('a key is bound to the function and to the thread, run and step the call acts for', async () => {
  const key = newKey();
  const meta = { threadId: 'thread-1', runId: 'run-1', step: 'tools' };
  expect((await call('echo', { input: { message: 'scoped' }, meta }, key)).status).toBe(200);

  const otherThread = await call(
    'echo',
    { input: { message: 'scoped' }, meta: { ...meta, threadId: 'thread-2' } },
    key,
  );
  expect(otherThread.status).toBe(422);
  const otherFunction = await call('sleepy', { input: { ms: 0 }, meta }, key);
  expect(otherFunction.status).toBe(422);
  expect(errorOf(otherFunction).message).toContain('different call');
});

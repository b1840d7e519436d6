import { PassThrough } from 'node:stream';
import { askApproval, PROMPT_REJECT_REASON } from '../../../src/cli/approval-prompt.js';

// The approval question with its two streams as pipes: what a person types, what they are asked.

const call = (id: string) => ({ id, name: 'run_command', args: { command: 'npm i' }, reason: 'r' });

async function answer(typed: string[], calls = [call('call-1')], endInput = true) {
  const input = new PassThrough();
  for (const line of typed) input.write(`${line}\n`);
  if (endInput) input.end();
  const output = new PassThrough();
  const asked: string[] = [];
  output.on('data', (chunk: Buffer) => asked.push(chunk.toString()));
  const result = await askApproval(calls, { input, output });
  return { result, asked: asked.join('') };
}

test.each([['y'], ['Y'], ['yes'], [' YES ']])('%j approves', async (typed) => {
  const { result, asked } = await answer([typed]);
  expect(result).toEqual({ approved: true });
  expect(asked).toBe('Approve this call? [y/N] ');
});

test('n asks why; the reason typed goes with the rejection', async () => {
  const { result, asked } = await answer(['n', '  not in CI  ']);
  expect(result).toEqual({ approved: false, reason: 'not in CI' });
  expect(asked).toBe('Approve this call? [y/N] Why not? The agent reads this (Enter to skip): ');
});

test('Enter rejects (the default), and an empty reason says where it came from', async () => {
  const { result } = await answer(['', '']);
  expect(result).toEqual({ approved: false, reason: PROMPT_REJECT_REASON });
});

test('anything else asks again', async () => {
  const { result, asked } = await answer(['maybe', 'y'], [call('a'), call('b')]);
  expect(result).toEqual({ approved: true });
  expect(asked).toBe(
    'Approve all 2 calls? [y/N] Answer y (run them) or n (do not run them).\nApprove all 2 calls? [y/N] ',
  );
});

test('input that ends before an answer is no answer: the thread stays waiting', async () => {
  expect((await answer([])).result).toBeUndefined();
  expect((await answer(['n'])).result).toBeUndefined();
});

test('an answer typed after the question is read as it comes', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const asked = askApproval([call('call-1')], { input, output });
  setImmediate(() => input.write('yes\n'));
  expect(await asked).toEqual({ approved: true });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatOpenAI } from '@langchain/openai';
import { main } from '../../../src/cli/main.js';
import { stopMockLlmCommands } from '../../../src/cli/mock-llm-command.js';
import { eventually } from '../../helpers/eventually.js';
import { captureOutput } from '../../helpers/output.js';

const hello = fileURLToPath(new URL('../../fixtures/mock-llm/hello.json', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atolye-mock-llm-'));
});

afterAll(async () => {
  await stopMockLlmCommands();
  await rm(dir, { recursive: true, force: true });
});

/** The base URL `atolye mock-llm` prints once it listens. */
function waitForUrl(output: ReturnType<typeof captureOutput>): Promise<string> {
  return eventually(
    'mock-llm to print its URL',
    () => /http:\/\/\S+\/v1/.exec(output.stdout())?.[0],
  );
}

describe('atolye mock-llm', () => {
  it('serves the script until stopped, then exits 0 and releases its signal handlers', async () => {
    const output = captureOutput();
    const sigterms = process.listenerCount('SIGTERM');

    const exit = main(['mock-llm', '--script', hello, '--port', '0', '--api-key', 'k'], { output });
    const url = await waitForUrl(output);
    expect(process.listenerCount('SIGTERM')).toBe(sigterms + 1);

    const models = await fetch(`${url}/models`, { headers: { authorization: 'Bearer k' } });
    expect(await models.json()).toMatchObject({ object: 'list', data: [{ id: 'mock' }] });
    const llm = new ChatOpenAI({
      model: 'mock',
      apiKey: 'k',
      configuration: { baseURL: url },
      maxRetries: 0,
    });
    const first = await llm.invoke('say hello');
    expect(first.tool_calls?.[0]).toMatchObject({
      name: 'write_file',
      args: { path: 'hello.txt' },
    });
    expect(first.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 9 });

    await stopMockLlmCommands();
    await expect(exit).resolves.toBe(0);
    expect(process.listenerCount('SIGTERM')).toBe(sigterms);
    expect(output.stderr()).toContain(`mock-llm serving 2 turns from ${hello}`);
  });

  it.each([
    ['a missing file', null, /cannot read mock-llm script .*missing\.json: ENOENT/],
    ['invalid JSON', '{ "turns": [', /is not valid JSON/],
    [
      'a wrong field',
      JSON.stringify({ turns: [{ reply: { tool_calls: [{ name: 7, arguments: {} }] } }] }),
      /is invalid: turns\[0\]\.reply\.tool_calls\[0\]\.name: .*expected string/,
    ],
    [
      'an empty reply',
      JSON.stringify({ turns: [{ reply: {} }] }),
      /turns\[0\]\.reply: a reply needs "content", "tool_calls" or both/,
    ],
  ])('exits 1 with a clear message for %s', async (_name, text, message) => {
    const file = join(dir, text === null ? 'missing.json' : `script-${String(Math.random())}.json`);
    if (text !== null) await writeFile(file, text);
    const output = captureOutput();

    await expect(main(['mock-llm', '--script', file, '--port', '0'], { output })).resolves.toBe(1);

    expect(output.stderr()).toMatch(message);
    expect(output.stdout()).toBe('');
  });

  it('rejects a port out of range as a usage error', async () => {
    const output = captureOutput();

    await expect(
      main(['mock-llm', '--script', hello, '--port', '70000'], { output }),
    ).resolves.toBe(2);

    expect(output.stderr()).toContain('the port must be an integer from 0 to 65535');
  });
});

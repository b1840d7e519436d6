import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { ToolsOutput } from '../../../../src/agent/graph/steps.js';
import { createSandbox } from '../../../../src/agent/sandbox/index.js';
import {
  runFinalize,
  runReview,
  runTools,
  threadWorkspace,
} from '../../../../src/agent/steps/index.js';
import { toChatMessages, toStored } from '../../../../src/agent/steps/messages.js';
import { tempDir } from '../../../helpers/tmp.js';
import { modelConfig, sandboxConfig } from './helpers.js';

let tmp: { dir: string; cleanup(): void };
beforeEach(() => {
  tmp = tempDir();
  // Under root the sandbox drops to nobody, who must be able to enter the workspace's parent.
  chmodSync(tmp.dir, 0o755);
});
afterEach(() => tmp.cleanup());

const calls = [
  { id: 'c1', name: 'write_file', args: { path: 'out/hello.txt', content: 'hi\n' } },
  { id: 'c2', name: 'run_command', args: { command: 'cat out/hello.txt; echo oops >&2' } },
  { id: 'c3', name: 'read_file', args: { path: '../escape.txt' } },
];

describe.each(['none', 'bwrap'] as const)('the tools step with sandbox mode %s', (mode) => {
  it('runs the calls in order in the thread workspace and reports what changed', async () => {
    const workspace = await threadWorkspace(tmp.dir, 'thread-1');
    const sandbox = createSandbox(sandboxConfig(mode));
    const output = ToolsOutput.parse(await runTools({ toolCalls: calls }, { workspace, sandbox }));
    expect(readFileSync(path.join(tmp.dir, 'thread-1/out/hello.txt'), 'utf8')).toBe('hi\n');
    expect(output.results.map((r) => [r.id, r.name, r.ok, r.code])).toEqual([
      ['c1', 'write_file', true, undefined],
      ['c2', 'run_command', true, undefined],
      ['c3', 'read_file', false, 'PATH_OUTSIDE_WORKSPACE'],
    ]);
    // The command's outcome without its timing, for stuck detection; only commands have one.
    expect(output.results.map((r) => r.outcome)).toEqual([
      undefined,
      { exitCode: 0, timedOut: false, stdout: 'hi\n', stderr: 'oops\n' },
      undefined,
    ]);
    expect(output.filesChanged).toEqual(['out/hello.txt']);
    expect(output.commandResults).toEqual([
      expect.objectContaining({
        command: 'cat out/hello.txt; echo oops >&2',
        exitCode: 0,
        stdout: 'hi\n',
        stderr: 'oops\n',
        timedOut: false,
      }),
    ]);
    const messages = toChatMessages(output.messages);
    expect(messages.map((m) => (m as ToolMessage).tool_call_id)).toEqual(['c1', 'c2', 'c3']);
    expect(messages.every((m) => ToolMessage.isInstance(m))).toBe(true);
  });
});

describe('the review step with checks', () => {
  const model = modelConfig('http://127.0.0.1:9/v1');
  const deps = (workspace: string) => ({
    // Checks decide alone: touching the model here would throw.
    get model(): never {
      throw new Error('the model must not be called when checks exist');
    },
    config: model,
    workspace,
    sandbox: createSandbox(sandboxConfig('bwrap')),
  });
  const input = (checks: string[]) => ({
    task: 'Write ok.txt',
    plan: { steps: ['write ok.txt'], checks },
    messages: [],
    filesChanged: [],
    commandResults: [],
  });

  it('is done without the model when every check passes', async () => {
    const workspace = await threadWorkspace(tmp.dir, 't2');
    writeFileSync(path.join(workspace, 'ok.txt'), 'yes');
    const output = await runReview(
      input(['test -f ok.txt', 'grep -q yes ok.txt']),
      deps(workspace),
    );
    expect(output).toMatchObject({ done: true, feedback: null });
    expect(output.commandResults.map((r) => [r.command, r.exitCode])).toEqual([
      ['test -f ok.txt', 0],
      ['grep -q yes ok.txt', 0],
    ]);
    expect(output.usage).toBeUndefined();
  });

  it('sends the failed checks and their output back as feedback', async () => {
    const workspace = await threadWorkspace(tmp.dir, 't3');
    const output = await runReview(
      input(['true', 'echo "AssertionError: expected 3" >&2; exit 1']),
      deps(workspace),
    );
    expect(output.done).toBe(false);
    expect(output.feedback).toContain('exited with 1');
    expect(output.feedback).toContain('AssertionError: expected 3');
    expect(output.feedback).not.toContain('`true`');
    expect(output.commandResults).toHaveLength(2);
  });
});

describe('the finalize step', () => {
  it("summarises with the agent's finish summary and lists the files with sizes", async () => {
    const workspace = await threadWorkspace(tmp.dir, 't4');
    mkdirSync(path.join(workspace, 'src'));
    mkdirSync(path.join(workspace, 'node_modules/x'), { recursive: true });
    writeFileSync(path.join(workspace, 'src/a.py'), 'print(1)\n');
    writeFileSync(path.join(workspace, 'README.md'), 'hi');
    writeFileSync(path.join(workspace, 'node_modules/x/big.js'), 'skipped');
    symlinkSync('/etc/passwd', path.join(workspace, 'link'));
    const messages = toStored([
      new AIMessage({
        content: '',
        tool_calls: [{ id: 'f1', name: 'finish', args: { summary: 'Wrote a.py.' } }],
      }),
      new ToolMessage({ content: 'Noted.', tool_call_id: 'f1' }),
    ]);
    const output = await runFinalize(
      {
        task: 't',
        plan: null,
        status: 'success',
        error: null,
        messages,
        filesChanged: ['src/a.py', 'gone.txt'],
        commandResults: [],
      },
      { workspace },
    );
    expect(output.summary).toBe(
      'Wrote a.py.\n\nFiles in the workspace:\n- README.md (2 bytes)\n- src/a.py (9 bytes)',
    );
    expect(output.files).toEqual(['src/a.py']);
  });

  it('falls back to the status and names the error when the agent left no summary', async () => {
    const workspace = await threadWorkspace(tmp.dir, 't5');
    const output = await runFinalize(
      {
        task: 't',
        plan: null,
        status: 'max_iterations',
        error: { code: 'MAX_ITERATIONS', message: 'stopped after 3 iterations' },
        messages: toStored([new AIMessage('thinking')]),
        filesChanged: [],
        commandResults: [],
      },
      { workspace },
    );
    expect(output.summary).toBe(
      'The run reached its iteration limit before the task was done.\n\nError MAX_ITERATIONS: stopped after 3 iterations\n\nThe workspace is empty.',
    );
  });

  it('lists at most 200 files', async () => {
    const workspace = await threadWorkspace(tmp.dir, 't6');
    for (let i = 0; i < 205; i += 1) writeFileSync(path.join(workspace, `f${1000 + i}`), '');
    const output = await runFinalize(
      {
        task: 't',
        plan: null,
        status: 'error',
        error: null,
        messages: [],
        filesChanged: [],
        commandResults: [],
      },
      { workspace },
    );
    expect(output.summary).toContain('- f1199 (0 bytes)');
    expect(output.summary).not.toContain('f1200');
    expect(output.summary).toContain('(only the first 200 files are listed)');
  });
});

describe('threadWorkspace', () => {
  it.each([undefined, '../x', '.hidden', 'a/b', 'a..b'])('refuses the thread id %p', async (id) => {
    await expect(threadWorkspace(tmp.dir, id)).rejects.toMatchObject({ code: 'THREAD_ID_INVALID' });
  });
});

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@langchain/langgraph-sdk';
import { connect } from '../../../src/cli/api-client.js';
import {
  drive,
  EXIT_PAUSED_AT_BREAKPOINT,
  EXIT_WAITS_FOR_APPROVAL,
  startSession,
  type Session,
} from '../../../src/cli/run-session.js';
import { captureOutput } from '../../helpers/output.js';
import { tempDir } from '../../helpers/tmp.js';
import { startTestApi, type TestApi } from '../orchestrator/api-helpers.js';
import { startStepHost, stepsOf, type StepHost } from '../orchestrator/helpers.js';
import { cliAgainst, cliEnv, runCli, threadOf, type CliResult } from '../../helpers/cli.js';

// `atolye run --approval`, `approve` and `reject` in this process against a real orchestrator in
// front of a real worker host running the scripted steps: act proposes write_file notes.txt on
// its first iteration, which approval "always" holds. Here nothing is a terminal: a pause is
// answered by --yes / --no, or left waiting with the commands that answer it.

let root: ReturnType<typeof tempDir>;
let fixtureDir: string;
let stepHost: StepHost;
let api: TestApi;
let client: Client;

beforeAll(async () => {
  root = tempDir('atolye-run-approval-');
  fixtureDir = path.join(root.dir, 'fixture');
  mkdirSync(fixtureDir);
  stepHost = await startStepHost(root.dir, fixtureDir);
  api = await startTestApi(root.dir, stepHost);
  client = new Client({ apiUrl: api.url, apiKey: api.key });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await stepHost?.stop();
  root?.cleanup();
});

const cliEnvironment = () => ({ ATOLYE_DATA_DIR: path.join(root.dir, 'cli-data') });
const atolye = (...args: string[]): Promise<CliResult> =>
  cliAgainst(api.url, api.key, args, { env: cliEnvironment() });

function runIdsOf(stdout: string): string[] {
  return [...stdout.matchAll(/^run (\S+)$/gm)].map((match) => match[1] ?? '');
}

/** The step lines' names, in order. */
function stepLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^ {2}(\w+)\s+(\d+ ms|\d+\.\d s)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** What the model was shown as the result of its tool call. */
async function toolResult(threadId: string): Promise<string | undefined> {
  const { values } = await client.threads.getState(threadId);
  const messages = (values as { messages: { type: string; data: { content: string } }[] }).messages;
  return messages.find((message) => message.type === 'tool')?.data.content;
}

const ALWAYS_REASON = 'every tool call waits for approval (approval "always")';

/** A thread paused for approval of write_file notes.txt, left waiting by `atolye run`. */
async function pausedThread(task: string): Promise<string> {
  const result = await atolye('run', task, '--approval', 'always');
  expect(result.code).toBe(EXIT_WAITS_FOR_APPROVAL);
  return threadOf(result.stdout);
}

describe('atolye run --approval', () => {
  it('--yes approves the held call and follows the run that goes on to success', async () => {
    const result = await atolye('run', 'write notes', '--approval', 'always', '--yes');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('approved 1 tool call (--yes): write_file notes.txt');
    expect(stepLines(result.stdout)).toEqual(['plan', 'act', 'tools', 'act', 'review', 'finalize']);
    expect(result.stdout).not.toContain('__');
    const [paused, resumed] = runIdsOf(result.stdout);
    expect(stepsOf(fixtureDir, paused ?? '')).toEqual(['plan', 'act']);
    expect(stepsOf(fixtureDir, resumed ?? '')).toEqual(['tools', 'act', 'review', 'finalize']);
    expect(result.stdout).toMatch(/files changed \(1\):\n {2}notes\.txt/);
    // The report counts both runs' tokens: plan + act, then act + review + finalize.
    expect(result.stdout).toMatch(new RegExp(`^run ${resumed} success in .* · \\d+ tokens`, 'm'));
    expect(await toolResult(threadOf(result.stdout))).toBe('ok');
  });

  it('--no rejects the held call: it never runs and the agent reads why', async () => {
    const result = await atolye('run', 'write nothing', '--approval', 'always', '--no');
    expect(result.stdout).toContain('rejected 1 tool call (--no): write_file notes.txt');
    const threadId = threadOf(result.stdout);
    // The graph's tools step answers the rejection itself: the tools function never runs.
    const [, resumed] = runIdsOf(result.stdout);
    expect(stepsOf(fixtureDir, resumed ?? '')).not.toContain('tools');
    expect(await toolResult(threadId)).toBe(
      'A person rejected this write_file call; it was not run. Reason: rejected with --no',
    );
    // The scripted review wants a changed file: without the write the run ends unfinished.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^atolye: run \S+ ended with status error/);
  });

  it('without a terminal or a flag it stops, lists the held call and how to answer, exit 3', async () => {
    const result = await atolye('run', 'wait for me', '--approval', 'always');
    expect(result.code).toBe(EXIT_WAITS_FOR_APPROVAL);
    const threadId = threadOf(result.stdout);
    const [runId] = runIdsOf(result.stdout);
    expect(result.stdout).toContain(
      [
        'waiting for approval: 1 tool call',
        '  1. [call-1] write_file notes.txt',
        `     why: ${ALWAYS_REASON}`,
        'answer with one of:',
      ].join('\n'),
    );
    const answers = result.stdout.split('answer with one of:\n')[1]?.split('\n');
    expect(answers?.map((line) => line.split(/ {2,}/))).toEqual([
      ['', `npx atolye approve ${threadId}`, 'run them as proposed'],
      [
        '',
        `npx atolye approve ${threadId} --edit call-1='JSON'`,
        'run them, call-1 with arguments JSON',
      ],
      ['', `npx atolye reject ${threadId} --reason "WHY"`, 'run none; the agent reads WHY'],
    ]);
    expect(result.stdout).toMatch(new RegExp(`^run ${runId} interrupted in `, 'm'));
    expect(result.stderr).toBe(
      `atolye: run ${runId} paused: thread ${threadId} waits for approval of 1 tool call; answer with \`npx atolye approve ${threadId}\` or \`npx atolye reject ${threadId} --reason "WHY"\``,
    );

    // A new task on the waiting thread is refused with the same commands, not the API's fields.
    const another = await atolye('run', 'something else', '--thread', threadId);
    expect(another.code).toBe(1);
    expect(another.stderr).toBe(
      `atolye: thread ${threadId} waits for approval of 1 tool call (write_file notes.txt) first: answer with \`npx atolye approve ${threadId}\` or \`npx atolye reject ${threadId} --reason "WHY"\``,
    );

    const approved = await atolye('approve', threadId);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved 1 tool call: write_file notes.txt');
    expect(stepLines(approved.stdout)).toEqual(['tools', 'act', 'review', 'finalize']);
    expect(approved.stdout).toMatch(/files changed \(1\):\n {2}notes\.txt/);

    const again = await atolye('approve', threadId);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `atolye: thread ${threadId} waits for no approval: nothing to answer; see its runs with \`npx atolye runs --thread ${threadId}\``,
    );
  });

  it('--json stops with the run record, the held calls and the answering commands', async () => {
    const result = await atolye('run', 'json wait', '--approval', 'always', '--json');
    expect(result.code).toBe(EXIT_WAITS_FOR_APPROVAL);
    const report = JSON.parse(result.stdout) as { thread_id: string; run_id: string };
    expect(report).toMatchObject({
      status: 'interrupted',
      stop_reason: 'approval',
      runs: [report.run_id],
      paused: {
        reason: 'approval',
        tool_calls: [
          { id: 'call-1', name: 'write_file', args: { path: 'notes.txt' }, reason: ALWAYS_REASON },
        ],
        approve: `npx atolye approve ${report.thread_id}`,
        reject: `npx atolye reject ${report.thread_id} --reason "WHY"`,
      },
    });
  });

  it('refuses a policy it does not know', async () => {
    const result = await atolye('run', 'x', '--approval', 'sometimes');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "option '--approval <policy>' argument 'sometimes' is invalid. Allowed choices are never, risky, always.",
    );
  });
});

describe('atolye approve and reject', () => {
  it('reject --reason: the call never runs and the agent reads the reason', async () => {
    const threadId = await pausedThread('reject later');
    const result = await atolye('reject', threadId, '--reason', 'not in my repo');
    expect(result.stdout).toContain(
      'rejected 1 tool call: write_file notes.txt (reason: not in my repo)',
    );
    const [resumed] = runIdsOf(result.stdout);
    expect(stepsOf(fixtureDir, resumed ?? '')).not.toContain('tools');
    expect(await toolResult(threadId)).toBe(
      'A person rejected this write_file call; it was not run. Reason: not in my repo',
    );
  });

  it('approve --edit runs the call with the new arguments, and the model is told', async () => {
    const threadId = await pausedThread('edit later');
    const unknown = await atolye('approve', threadId, '--edit', 'call-9={"path":"x.txt"}');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `atolye: --edit call-9: thread ${threadId} holds no call with that id; it holds call-1 (write_file notes.txt)`,
    );
    const notJson = await atolye('approve', threadId, '--edit', 'call-1=path=x');
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain(
      `use ID=JSON with the call's new arguments as an object, e.g. call-1='{"path":"b.txt"}'`,
    );

    const result = await atolye('approve', threadId, '--edit', 'call-1={"path":"other.txt"}');
    expect(result.code).toBe(0);
    expect(await toolResult(threadId)).toBe(
      `A person edited this call's arguments before it ran, to {"path":"other.txt"}.\nok`,
    );
  });

  it('a thread that waits for nothing has nothing to reject', async () => {
    const done = await atolye('run', 'plain run');
    expect(done.code).toBe(0);
    const threadId = threadOf(done.stdout);
    const result = await atolye('reject', threadId);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`thread ${threadId} waits for no approval`);
  });
});

describe('breakpoints', () => {
  it('--pause-before stops at the step, exit 4; --continue goes on from there', async () => {
    const result = await atolye('run', 'stop before review', '--pause-before', 'review');
    expect(result.code).toBe(EXIT_PAUSED_AT_BREAKPOINT);
    const threadId = threadOf(result.stdout);
    expect(stepLines(result.stdout)).toEqual(['plan', 'act', 'tools', 'act']);
    expect(result.stdout).toContain(
      `paused before review (a breakpoint)\ngo on: npx atolye run --thread ${threadId} --continue`,
    );
    expect(result.stderr).toMatch(
      new RegExp(
        `^atolye: run \\S+ paused before review at a breakpoint; go on with \`npx atolye run --thread ${threadId} --continue\`$`,
      ),
    );

    const refused = await atolye('run', 'a new task', '--thread', threadId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `atolye: thread ${threadId} is paused before review first: go on with \`npx atolye run --thread ${threadId} --continue\``,
    );
    const approve = await atolye('approve', threadId);
    expect(approve.stderr).toContain(`it is paused before review; go on with`);

    const continued = await atolye('run', '--thread', threadId, '--continue');
    expect(continued.stderr).toBe('');
    expect(continued.code).toBe(0);
    expect(stepLines(continued.stdout)).toEqual(['review', 'finalize']);

    const nothing = await atolye('run', '--thread', threadId, '--continue');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe(
      `atolye: thread ${threadId} is not paused: there is nothing to continue; give it a task with \`npx atolye run --thread ${threadId} "TASK"\``,
    );
  });

  it('an answer with --yes goes on to the next pause: the breakpoint after the approval', async () => {
    const result = await atolye(
      'run',
      'approve then stop',
      '--approval',
      'always',
      '--yes',
      '--pause-before',
      'review',
    );
    expect(result.code).toBe(EXIT_PAUSED_AT_BREAKPOINT);
    expect(result.stdout).toContain('approved 1 tool call (--yes)');
    expect(stepLines(result.stdout)).toEqual(['plan', 'act', 'tools', 'act']);
    expect(runIdsOf(result.stdout)).toHaveLength(2);
  });

  it('--continue on a thread that waits for approval names the commands that answer', async () => {
    const threadId = await pausedThread('continue is not an answer');
    const result = await atolye('run', '--thread', threadId, '--continue');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`answer with \`npx atolye approve ${threadId}\``);
  });

  it('usage: an unknown step, --continue without --thread, or with a task', async () => {
    const step = await atolye('run', 'x', '--pause-before', 'review,nowhere');
    expect(step.code).toBe(1);
    expect(step.stderr).toBe(
      'atolye: --pause-before: no step "nowhere"; the steps are plan, act, tools, review, finalize',
    );
    const noThread = await atolye('run', '--continue');
    expect(noThread.code).toBe(2);
    expect(noThread.stderr).toContain('--continue needs --thread <id>');
    const both = await atolye('run', 'task', '--thread', 't', '--continue');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give either a task or --continue, not both');
    const yesNo = await atolye('run', 'task', '--yes', '--no');
    expect(yesNo.code).toBe(2);
    expect(yesNo.stderr).toContain("option '--no' cannot be used with option '--yes'");
  });
});

it('--help lists the exit statuses the commands use', async () => {
  const result = await runCli(['run', '--help']);
  expect(result.code).toBe(0);
  const help = result.stdout.replace(/\s+/g, ' ');
  expect(help).toContain(`${EXIT_WAITS_FOR_APPROVAL} the thread waits for approval`);
  expect(help).toContain(`${EXIT_PAUSED_AT_BREAKPOINT} the thread is paused at a breakpoint`);
});

describe('at a terminal', () => {
  // What `atolye run` does when stdin and stderr are a terminal, with the terminal's two streams
  // replaced by pipes this test types into and reads.
  async function runAsking(task: string, typed: string[], endInput: boolean) {
    const output = captureOutput();
    const cli = {
      output,
      env: cliEnv(cliEnvironment()),
      overrides: () => ({ 'api.url': api.url, 'api.key': api.key }),
    };
    const input = new PassThrough();
    for (const line of typed) input.write(`${line}\n`);
    if (endInput) input.end();
    const asked = new PassThrough();
    const questions: string[] = [];
    asked.on('data', (chunk: Buffer) => questions.push(chunk.toString()));
    const session: Session = {
      ...startSession(cli, await connect(cli), {}),
      answer: 'ask',
      prompt: { input, output: asked },
      controls: { approval: 'always' },
    };
    const threadId = (await client.threads.create()).thread_id;
    const outcome = await drive(session, threadId, { task });
    return { outcome, threadId, stdout: output.stdout(), asked: questions.join('') };
  }

  it('shows the held call, asks, and y runs it', async () => {
    const { outcome, stdout, asked, threadId } = await runAsking('ask me', ['y'], false);
    expect(stdout).toContain(
      `waiting for approval: 1 tool call\n  1. [call-1] write_file notes.txt\n     why: ${ALWAYS_REASON}\napproved 1 tool call`,
    );
    expect(asked).toBe(
      `(Ctrl-C leaves it waiting, to answer later with \`npx atolye approve ${threadId}\` or \`npx atolye reject ${threadId}\`)\nApprove this call? [y/N] `,
    );
    expect(outcome.run.status).toBe('success');
    expect(outcome.runIds).toHaveLength(2);
    expect(await toolResult(threadId)).toBe('ok');
  });

  it('n and a reason reject it: the agent reads the reason', async () => {
    const { outcome, stdout, threadId } = await runAsking(
      'ask me again',
      ['n', 'not today'],
      false,
    );
    expect(stdout).toContain('rejected 1 tool call: not today');
    expect(outcome.pause).toBeUndefined();
    expect(await toolResult(threadId)).toBe(
      'A person rejected this write_file call; it was not run. Reason: not today',
    );
  });

  it('input that ends without an answer leaves the thread waiting', async () => {
    const { outcome, threadId } = await runAsking('nobody answers', [], true);
    expect(outcome.pause).toMatchObject({ kind: 'approval', calls: [{ id: 'call-1' }] });
    expect((await client.threads.get(threadId)).status).toBe('interrupted');
  });
});

import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  STEP_NAMES,
  STEP_SCHEMAS,
  type StepInput,
  type StepName,
  type StepOutput,
} from '../../../../src/agent/graph/steps.js';
import { startMockLlm, type MockLlm } from '../../../../src/cli/mock-llm/index.js';
import { loadConfig } from '../../../../src/config/load.js';
import { resolveSettings } from '../../../../src/config/settings.js';
import type { FunctionDefinition, HandlerContext } from '../../../../src/runtime/contract.js';
import { MODEL_KEY_SECRET } from '../../../../src/runtime/bundle/budget.js';
import { overrideEnv } from '../../../helpers/env.js';
import { tempDir } from '../../../helpers/tmp.js';

/**
 * The five step functions as a worker runs them: the settings each declares resolved as the host
 * resolves them (from a configuration with these variables), the model key in the environment.
 */
const VARIABLES = {
  ATOLYE_MODEL: 'mock',
  ATOLYE_SANDBOX_MODE: 'none',
} as const;
const KEY = 'test-key';

let server: MockLlm;
let tmp: { dir: string; cleanup(): void };
let restoreEnv: (() => void) | undefined;
const steps: Record<string, FunctionDefinition> = {};
const settings: Record<string, unknown> = {};

beforeAll(async () => {
  tmp = tempDir();
  chmodSync(tmp.dir, 0o755);
  server = await startMockLlm({
    port: 0,
    script: {
      turns: [
        {
          match: { role: 'user', contains: 'greet.txt' },
          reply: {
            content: '{"steps": ["write greet.txt"], "checks": ["grep -q merhaba greet.txt"]}',
          },
        },
        {
          match: { role: 'user', contains: 'grep -q merhaba greet.txt' },
          reply: {
            tool_calls: [
              { name: 'write_file', arguments: { path: 'greet.txt', content: 'merhaba\n' } },
            ],
          },
        },
        {
          match: { role: 'tool', contains: 'greet.txt' },
          reply: { tool_calls: [{ name: 'finish', arguments: { summary: 'Wrote greet.txt.' } }] },
        },
        {
          match: { role: 'user', contains: 'Files changed: (none)' },
          reply: { content: '{"done": false, "feedback": "Nothing was written."}' },
        },
      ],
    },
  });
  const environ = {
    ...VARIABLES,
    OPENAI_BASE_URL: server.url,
    ATOLYE_WORKSPACE_ROOT: path.join(tmp.dir, 'workspaces'),
  };
  const { config } = loadConfig({ env: 'testing', environ });
  // The key is a declared secret: the worker has it in its environment, never in its settings.
  restoreEnv = overrideEnv({ OPENAI_API_KEY: KEY });
  const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
  for (const name of STEP_NAMES) {
    const module = (await import(`../../../../functions/${name}/index.js`)) as {
      default: FunctionDefinition;
    };
    const fn = module.default;
    steps[name] = fn;
    settings[name] = resolveSettings(config, fn.settings);
    await fn.init?.(settings[name], silent);
  }
});

afterAll(async () => {
  restoreEnv?.();
  await server.close();
  tmp.cleanup();
});

function context(
  threadId: string | null = 'thread-f',
): HandlerContext<unknown> & { logged: string[] } {
  const logged: string[] = [];
  const record = (msg: string): void => void logged.push(msg);
  return {
    invocationId: 'inv',
    attempt: 1,
    ...(threadId ? { threadId } : {}),
    signal: new AbortController().signal,
    log: { info: record, warn: record, error: record, debug: record },
    logged,
  };
}

/** Validates both ways, as the host does around a handler. */
async function call<N extends StepName>(
  name: N,
  input: StepInput<N>,
  ctx = context(),
): Promise<StepOutput<N>> {
  const fn = steps[name]!;
  const output: unknown = await fn.handle(STEP_SCHEMAS[name].input.parse(input), {
    ...ctx,
    settings: settings[name],
  });
  return STEP_SCHEMAS[name].output.parse(output) as StepOutput<N>;
}

describe('the agent step functions', () => {
  it('use the step contracts and declare the model key only where the model is called', () => {
    for (const name of STEP_NAMES) {
      const fn = steps[name]!;
      expect(fn.name).toBe(name);
      expect(fn.input).toBe(STEP_SCHEMAS[name].input);
      expect(fn.output).toBe(STEP_SCHEMAS[name].output);
      expect(fn.secrets.some((secret) => MODEL_KEY_SECRET.test(secret))).toBe(
        ['plan', 'act', 'review'].includes(name),
      );
    }
    expect(steps.plan!.secrets).toEqual(['OPENAI_API_KEY']);
    expect(steps.plan!.settings).toEqual(['model']);
    // The approval key (derived by the host), never the model key.
    expect(steps.tools!.secrets).toEqual(['ATOLYE_APPROVAL_KEY']);
    expect(steps.tools!.settings).toEqual([
      'env',
      'workspace.root',
      'sandbox',
      'agent.approval',
      'agent.riskyCommands',
      'agent.riskyPaths',
    ]);
    expect(steps.finalize!.settings).toEqual(['workspace.root']);
    // What a worker is handed: the declared sections, never a secret.
    expect(settings.plan).toEqual({ model: expect.objectContaining({ name: 'mock' }) });
    expect(settings.plan).not.toHaveProperty('model.apiKey');
    expect(Object.keys(settings.tools as object).sort()).toEqual([
      'agent',
      'env',
      'sandbox',
      'workspace',
    ]);
    expect(steps.act!.limits).toMatchObject({
      timeoutMs: 180_000,
      memoryMb: 512,
      concurrency: 4,
      maxWorkers: 4,
    });
    expect(steps.tools!.limits).toMatchObject({ timeoutMs: 120_000, memoryMb: 512 });
  });

  it('carry a task from plan to finalize in the thread workspace', async () => {
    const task = 'Write greet.txt saying merhaba';
    const { plan, messages: planMessages } = await call('plan', { task, messages: [] });
    expect(plan).toEqual({ steps: ['write greet.txt'], checks: ['grep -q merhaba greet.txt'] });

    const first = await call('act', {
      task,
      plan,
      messages: planMessages,
      feedback: null,
      iteration: 1,
    });
    const ran = await call('tools', { toolCalls: first.toolCalls });
    expect(readFileSync(path.join(tmp.dir, 'workspaces/thread-f/greet.txt'), 'utf8')).toBe(
      'merhaba\n',
    );

    const history = [...first.messages, ...ran.messages];
    const second = await call('act', {
      task,
      plan,
      messages: history,
      feedback: null,
      iteration: 2,
    });
    expect(second.finish).toEqual({ summary: 'Wrote greet.txt.' });

    const review = await call('review', {
      task,
      plan,
      messages: [...history, ...second.messages],
      filesChanged: ran.filesChanged,
      commandResults: [],
    });
    expect(review).toMatchObject({ done: true, feedback: null });

    const final = await call('finalize', {
      task,
      plan,
      status: 'success',
      error: null,
      messages: [...history, ...second.messages],
      filesChanged: ran.filesChanged,
      commandResults: review.commandResults,
    });
    expect(final).toEqual({
      summary: 'Wrote greet.txt.\n\nFiles in the workspace:\n- greet.txt (8 bytes)',
      files: ['greet.txt'],
    });
    expect(server.requests).toHaveLength(3);
  });

  it('review asks the model when the plan has no checks', async () => {
    const review = await call('review', {
      task: 'Say hello',
      plan: { steps: ['say hello'], checks: [] },
      messages: [],
      filesChanged: [],
      commandResults: [],
    });
    expect(review).toMatchObject({ done: false, feedback: 'Nothing was written.' });
    expect(review.usage?.inputTokens).toBeGreaterThan(0);
  });

  it('refuse to run without a thread id', async () => {
    await expect(
      call('tools', { toolCalls: [{ id: 'x', name: 'list_files', args: {} }] }, context(null)),
    ).rejects.toMatchObject({ code: 'THREAD_ID_INVALID' });
  });
});

import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { runCli } from '../../helpers/cli.js';

// `npm run demo` end to end: scripted model, real bundles, daemon host, orchestrator service,
// run API, bubblewrap sandbox. It leaves the files behind and nothing running.

const MODEL_VARIABLES = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ATOLYE_MODEL'] as const;
const modelVariables = (): Record<string, string | undefined> =>
  Object.fromEntries(MODEL_VARIABLES.map((name) => [name, process.env[name]]));
let work: ReturnType<typeof tempDir>;

beforeAll(() => {
  work = tempDir('atolye-demo-');
  // The sandbox runs commands as nobody (we are root here): it must be able to enter the folder.
  chmodSync(work.dir, 0o755);
});

afterAll(() => {
  work.cleanup();
});

test('the demo runs the scripted task through the real API and leaves its files', async () => {
  const dir = path.join(work.dir, 'demo');
  const before = modelVariables();
  const result = await runCli(['demo', '--dir', dir, '--no-typecheck'], {
    env: { ATOLYE_ENV: 'testing' },
  });
  // The mock model's address and key went to the host the demo started, not into this process.
  expect(modelVariables()).toEqual(before);
  expect(result.stderr).not.toContain('atolye:');
  expect(result.code).toBe(0);
  expect(result.stderr).toContain('the model replies are scripted');
  expect(result.stdout).toMatch(/^run [0-9a-f-]{36} success in /m);
  expect(result.stdout).toContain('$ python3 csv2json.py sample.csv (exit 0)');

  const workspaces = path.join(dir, 'workspaces');
  // One thread's workspace, beside the folder of baseline repositories (.atolye-git).
  const [thread] = readdirSync(workspaces).filter((name) => !name.startsWith('.'));
  const files = readdirSync(path.join(workspaces, thread as string)).sort();
  expect(files).toEqual(['csv2json.py', 'sample.csv', 'test_csv2json.py']);
  expect(readFileSync(path.join(workspaces, thread as string, 'csv2json.py'), 'utf8')).toContain(
    'def convert(lines):',
  );
  // Its last lines point at what still works once it has stopped: the files on disk, by this
  // thread's path, and a deployment of one's own.
  const after = result.stdout.slice(result.stdout.lastIndexOf('files: npx atolye files'));
  expect(after).toContain('the demo has stopped its host and run API');
  expect(after).toContain(`\nfiles  ${path.join(workspaces, thread as string)}${path.sep}\n`);
  expect(after).toMatch(
    /npm run deploy\n.*npx atolye keys create --name me.*\n.*npx atolye run "TASK"$/,
  );
  const agentLog = readFileSync(path.join(dir, 'logs', 'agent.log'), 'utf8');
  expect(agentLog).toContain('"msg":"tool run_command"');

  // It stopped the host (and with it the orchestrator) it started.
  expect(existsSync(path.join(dir, 'store', 'host.json'))).toBe(false);
  expect(existsSync(path.join(dir, 'store', 'orchestrator.json'))).toBe(false);
}, 180_000);

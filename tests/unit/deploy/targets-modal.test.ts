import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderModalApp, scaledownWindow } from '../../../src/deploy/modal/app.js';
import { createManifest, type ManifestFunction } from '../../../src/runtime/bundle/manifest.js';
import { tempDir } from '../../helpers/tmp.js';

// The generated app is parsed by Python's own parser; the Modal decorator arguments are read back
// from its syntax tree and compared with the manifest.

function fn(name: string, limits: Partial<ManifestFunction['limits']>, secrets: string[]) {
  return {
    name,
    description: `${name} step with """quotes""" and a \\ backslash`,
    limits: {
      timeoutMs: 30_000,
      memoryMb: 256,
      concurrency: 1,
      minWorkers: 0,
      maxWorkers: 2,
      idleMs: 60_000,
      retries: 0,
      queueSize: 64,
      ...limits,
    },
    secrets,
    version: 'abcdef012345',
    bytes: 1000,
    entry: `functions/${name}/index.mjs`,
    external: [],
  };
}

const manifest = createManifest(
  [
    fn(
      'act',
      { timeoutMs: 180_000, memoryMb: 512, concurrency: 4, maxWorkers: 4, idleMs: 90_500 },
      ['ATOLYE_MODEL', 'OPENAI_API_KEY'],
    ),
    fn(
      'tools',
      {
        timeoutMs: 1_500,
        memoryMb: 300,
        concurrency: 3,
        minWorkers: 1,
        maxWorkers: 7,
        idleMs: 500,
        retries: 2,
      },
      ['ATOLYE_SANDBOX_MODE', 'ATOLYE_WORKSPACE_ROOT'],
    ),
    fn('code-review', { idleMs: 3_600_000 }, []),
  ],
  new Date(0),
);

/** Reads each decorated function's Modal arguments from the syntax tree; fails on a syntax error. */
const EXTRACT = String.raw`
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
out = {}
def value(node):
    if isinstance(node, ast.List):
        return [value(item) for item in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_name":
        return "secret:" + node.args[0].value
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)
for node in tree.body:
    if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
        continue
    entry = {}
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            name = ast.unparse(decorator.func)
            entry[name] = {k.arg: value(k.value) for k in decorator.keywords}
    entry["body"] = ast.unparse(node.body[-1])
    out[node.name] = entry
print(json.dumps(out))
`;

type Decorators = Record<string, Record<string, unknown>> & { body: string };

let work: ReturnType<typeof tempDir>;
let decorated: Record<string, Decorators>;
let source: string;

beforeAll(() => {
  work = tempDir('atolye-modal-');
  source = renderModalApp(manifest, { toRoot: '../..' });
  const file = path.join(work.dir, 'modal_app.py');
  writeFileSync(file, source);
  const check = spawnSync('python3', ['-m', 'ast', file], { encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
  const script = path.join(work.dir, 'extract.py');
  writeFileSync(script, EXTRACT);
  const result = spawnSync('python3', [script, file], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  decorated = JSON.parse(result.stdout) as Record<string, Decorators>;
});

afterAll(() => work.cleanup());

describe('modal target', () => {
  it('is Python that python3 -m ast accepts, and a broken app would be refused', () => {
    const file = path.join(work.dir, 'broken.py');
    writeFileSync(
      file,
      source.replace('def _serve(name: str) -> None:', 'def _serve(name: str) -> None'),
    );
    expect(spawnSync('python3', ['-m', 'ast', file]).status).not.toBe(0);
  });

  it.each([
    ['act', 'act'],
    ['tools', 'tools'],
    ['code-review', 'code_review'],
  ])('maps the limits of %s onto its Modal Function %s', (name, pythonName) => {
    const f = manifest.functions.find((candidate) => candidate.name === name)!;
    const entry = decorated[pythonName]!;
    const fnArgs = entry['app.function']!;
    expect(fnArgs).toMatchObject({
      image: 'image',
      timeout: Math.ceil(f.limits.timeoutMs / 1000),
      retries: 0, // the orchestrator's step retry is the one layer
      min_containers: f.limits.minWorkers,
      max_containers: f.limits.maxWorkers,
      scaledown_window: scaledownWindow(f.limits.idleMs),
      memory: f.limits.memoryMb,
      volumes: '{WORKSPACES: workspaces}',
    });
    expect(entry['modal.concurrent']).toEqual({ max_inputs: f.limits.concurrency });
    expect(entry['modal.web_server']).toEqual({
      port: 'HOST_PORT',
      startup_timeout: 'STARTUP_TIMEOUT_S',
    });
    expect(entry.body).toBe(`_serve('${name}')`);
  });

  it('keeps scaledown_window inside what Modal accepts and rounds timeouts up', () => {
    expect(decorated.act!['app.function']!.scaledown_window).toBe(91);
    expect(decorated.tools!['app.function']!.scaledown_window).toBe(2);
    expect(decorated.code_review!['app.function']!.scaledown_window).toBe(1200);
    expect(decorated.tools!['app.function']!.timeout).toBe(2);
  });

  it('attaches only the secret groups a function declares; the model key only to model callers', () => {
    expect(decorated.act!['app.function']!.secrets).toEqual([
      'secret:atolye-core',
      'secret:atolye-model',
    ]);
    expect(decorated.tools!['app.function']!.secrets).toEqual([
      'secret:atolye-core',
      'secret:atolye-fn-tools',
    ]);
    expect(decorated.code_review!['app.function']!.secrets).toEqual(['secret:atolye-core']);
  });

  it('exposes one gateway endpoint that knows every function, for the orchestrator', () => {
    expect(decorated.gateway!['modal.asgi_app']).toEqual({});
    expect(decorated.gateway!['app.function']!.timeout).toBe(180 + 30);
    for (const f of manifest.functions) {
      expect(source).toContain(
        `    ${JSON.stringify(f.name)}: (${JSON.stringify(f.name.replace('-', '_'))}, `,
      );
    }
    expect(source).toContain('.run_commands("cd " + APP_DIR + " && npm ci --omit=dev")');
    expect(source).toContain('setup_24.x');
  });

  it('installs what the tools and checkout functions run: bubblewrap, git and ripgrep', () => {
    const packages = /\.apt_install\(([^)]*)\)/.exec(source)?.[1] ?? '';
    for (const name of ['bubblewrap', 'git', 'ripgrep', 'python3']) {
      expect(packages).toContain(JSON.stringify(name));
    }
  });
});

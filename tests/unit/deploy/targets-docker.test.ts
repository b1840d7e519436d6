import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderDocker } from '../../../src/deploy/docker/index.js';
import { generateTarget, type GeneratedTarget } from '../../../src/deploy/targets.js';
import { projectRoot } from '../../../src/config/index.js';
import { createManifest } from '../../../src/runtime/bundle/manifest.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

// Docker is not available here: the Dockerfile is checked by its instructions, the compose file
// by its parsed structure, the entrypoint by Node's own syntax check.

const manifest = createManifest(
  [
    {
      name: 'act',
      description: 'act',
      limits: {
        timeoutMs: 180_000,
        memoryMb: 512,
        concurrency: 4,
        minWorkers: 0,
        maxWorkers: 4,
        idleMs: 60_000,
        retries: 0,
        queueSize: 64,
      },
      secrets: ['ATOLYE_MODEL', 'OPENAI_API_KEY', 'ATOLYE_WORKSPACE_ROOT'],
      version: 'abcdef012345',
      bytes: 1,
      entry: 'functions/act/index.mjs',
      external: [],
    },
  ],
  new Date(0),
);

const root = projectRoot();
const files = renderDocker(manifest);

interface Instruction {
  keyword: string;
  args: string;
  /** The body of a here-document (`COPY <<'END' dest`), verbatim. */
  heredoc?: string;
}

/**
 * Dockerfile instructions as BuildKit reads them: continuation lines joined, comments and blank
 * lines dropped, a here-document's lines taken verbatim up to its terminator.
 */
function instructions(text: string): Instruction[] {
  const lines = text.split('\n');
  const result: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\')) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction: Instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    const terminator = /<<'?([A-Z_]+)'?/.exec(line)?.[1];
    if (terminator) {
      const end = lines.indexOf(terminator, i + 1);
      if (end < 0) throw new Error(`here-document ${terminator} is not terminated`);
      instruction.heredoc = `${lines.slice(i + 1, end).join('\n')}\n`;
      i = end;
    }
    result.push(instruction);
  }
  return result;
}

/** What COPY takes from the build context: not another stage's files, not a here-document. */
function copySources(dockerfile: string): string[] {
  return instructions(dockerfile)
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from') && !i.heredoc)
    .flatMap((i) => i.args.split(' ').slice(0, -1));
}

const all = instructions(files.Dockerfile!);
const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
const finalStage = all.slice(lastFrom);
const of = (keyword: string, stage = all) => stage.filter((i) => i.keyword === keyword);

describe('docker target: Dockerfile', () => {
  it('builds every stage on node:24-bookworm-slim and fetches nothing with ADD', () => {
    const froms = of('FROM').map((i) => i.args.split(' ')[0]);
    expect(froms.length).toBeGreaterThanOrEqual(1);
    for (const image of froms) expect(image).toBe('node:24-bookworm-slim');
    expect(of('ADD')).toEqual([]);
  });

  it('installs bubblewrap, git, python3 and ripgrep in the final stage and production dependencies only', () => {
    const runs = of('RUN', finalStage)
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\bbubblewrap\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\bpython3\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\bripgrep\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\bgit\b/);
    expect(
      of('RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toContain('npm ci --omit=dev');
  });

  it('runs as a non-root user with a health check and a role-choosing entrypoint', () => {
    const users = of('USER', finalStage);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0];
    expect(['root', '0', '']).not.toContain(user);
    const [healthcheck] = of('HEALTHCHECK', finalStage);
    expect(healthcheck?.args).toContain(
      'CMD ["node", "/app/docker-entrypoint.mjs", "healthcheck"]',
    );
    expect(files['docker-entrypoint.mjs']).toContain("'/healthz'");
    expect(JSON.parse(of('ENTRYPOINT', finalStage)[0]!.args)).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      '/app/docker-entrypoint.mjs',
    ]);
    expect(JSON.parse(of('CMD', finalStage).at(-1)!.args)).toEqual(['host']);
    // USER comes after every COPY, so nothing the image runs belongs to root by accident.
    const userAt = finalStage.findIndex((i) => i.keyword === 'USER');
    expect(finalStage.slice(userAt).some((i) => i.keyword === 'RUN' || i.keyword === 'COPY')).toBe(
      false,
    );
  });

  it('copies only paths that exist in the build context (dist comes from npm run build)', () => {
    const sources = copySources(files.Dockerfile!);
    expect(sources).toEqual(expect.arrayContaining(['dist', 'src', 'bin', 'config']));
    for (const source of sources.filter((s) => s !== 'dist')) {
      expect(existsSync(path.join(root, source))).toBe(true);
    }
    expect(files['Dockerfile.dockerignore']).not.toMatch(/^dist$/m);
    expect(files['Dockerfile.dockerignore']).toMatch(/^\.env$/m);
  });

  it('writes the entrypoint into the image inline, the same bytes as docker-entrypoint.mjs', () => {
    const inline = of('COPY', finalStage).filter((i) => i.heredoc !== undefined);
    expect(inline.map((i) => i.args.split(' ').at(-1))).toEqual(['/app/docker-entrypoint.mjs']);
    expect(inline[0]?.heredoc).toBe(files['docker-entrypoint.mjs']);
    // Quoted terminator: BuildKit expands no variables in the script.
    expect(inline[0]?.args).toMatch(/^<<'[A-Z_]+' /);
  });
});

describe('docker target: buildable wherever --out points', () => {
  let work: ReturnType<typeof tempDir>;
  let project: string;
  let generated: GeneratedTarget[];

  beforeAll(async () => {
    work = tempDir('atolye-docker-out-');
    // A project root as the docs describe the build context: the checkout's sources, and dist/
    // as \`npm run build\` leaves it.
    project = path.join(work.dir, 'project');
    mkdirSync(project);
    for (const name of ['package.json', 'package-lock.json', 'tsconfig.json']) {
      symlinkSync(path.join(root, name), path.join(project, name));
    }
    for (const name of ['bin', 'config', 'src', 'functions']) {
      symlinkSync(path.join(root, name), path.join(project, name), 'dir');
    }
    writeFiles(project, { 'dist/manifest.json': `${JSON.stringify(manifest, null, 2)}\n` });
    generated = [];
    for (const outDir of [
      path.join(work.dir, 'out'),
      path.join(work.dir, 'some', 'other', 'dir', 'deeper'),
      path.join(project, 'deploy', 'docker'),
    ]) {
      generated.push(await generateTarget('docker', { root: project, outDir }));
    }
  });
  afterAll(() => work.cleanup());

  const snapshot = (dir: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir)
        .sort()
        .map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]),
    );

  it('writes the same bytes into folders at different depths, inside the project or not', () => {
    const [first, ...others] = generated.map((result) => snapshot(result.outDir));
    expect(Object.keys(first!)).toEqual(expect.arrayContaining(['Dockerfile', 'README.md']));
    for (const other of others) expect(other).toEqual(first);
    const text = Object.values(first!).join('\n');
    expect(text).not.toContain(work.dir);
    expect(text).not.toMatch(/\.\.\//);
  });

  it('copies only what exists under the documented build context, from any output folder', () => {
    for (const result of generated) {
      const dockerfile = readFileSync(path.join(result.outDir, 'Dockerfile'), 'utf8');
      // The documented command: the project root is the context, the Dockerfile comes with -f.
      expect(dockerfile).toContain(
        `docker build -f <this file> -t atolye-sefi:${manifest.version} <project root>`,
      );
      expect(result.nextSteps[0]).toBe(
        `docker build -f ${path.join(result.outDir, 'Dockerfile')} -t atolye-sefi:${manifest.version} ${project}`,
      );
      const sources = copySources(dockerfile);
      expect(sources.length).toBeGreaterThan(5);
      for (const source of sources) {
        expect([source, path.isAbsolute(source) || source.split('/').includes('..')]).toEqual([
          source,
          false,
        ]);
        expect([source, existsSync(path.join(project, source))]).toEqual([source, true]);
      }
    }
  });

  it('quotes a path with a space in the printed commands', async () => {
    const outDir = path.join(work.dir, 'with space');
    const result = await generateTarget('docker', { root: project, outDir });
    expect(result.nextSteps).toEqual([
      `docker build -f '${outDir}/Dockerfile' -t atolye-sefi:${manifest.version} ${project}`,
      `docker compose -f '${outDir}/docker-compose.yml' up -d`,
    ]);
  });
});

describe('docker target: compose and entrypoint', () => {
  interface ComposeService {
    image: string;
    command: string[];
    environment: Record<string, string | null>;
    volumes?: string[];
    healthcheck: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    build?: unknown;
    pull_policy?: string;
  }
  const compose = parse(files['docker-compose.yml']!) as {
    services: Record<string, ComposeService>;
  };
  const { host, orchestrator, postgres } = compose.services;

  it('runs host, orchestrator and Postgres from one image with health checks on each', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['host', 'orchestrator', 'postgres']);
    expect(host?.image).toBe(`atolye-sefi:${manifest.version}`);
    expect(orchestrator?.image).toBe(host?.image);
    expect(host?.command).toEqual(['host']);
    expect(orchestrator?.command).toEqual(['orchestrator']);
    for (const service of [host, orchestrator, postgres])
      expect(service?.healthcheck.test.length).toBeGreaterThan(1);
    expect(orchestrator?.depends_on).toEqual({
      host: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
  });

  it('runs the image docker build made, and keeps its stores in Postgres, workspaces on a shared volume', () => {
    // No build section: it would name the project root relative to the compose file's folder.
    for (const service of [host, orchestrator]) {
      expect(service?.build).toBeUndefined();
      expect(service?.pull_policy).toBe('never');
    }
    expect(orchestrator?.environment.ATOLYE_STORAGE_URL).toBe(
      'postgres://atolye:${POSTGRES_PASSWORD}@postgres:5432/atolye',
    );
    expect(orchestrator?.environment.ATOLYE_HOST_URL).toBe('http://host:8787');
    expect(host?.volumes).toContain('workspaces:/workspaces');
    expect(orchestrator?.volumes).toContain('workspaces:/workspaces');
  });

  it('takes secrets from the environment or .env, never from the file itself', () => {
    expect(host?.environment.ATOLYE_SIGNING_SECRET).toMatch(/^\$\{ATOLYE_SIGNING_SECRET:\?/);
    expect(orchestrator?.environment.ATOLYE_ADMIN_TOKEN).toMatch(/^\$\{ATOLYE_ADMIN_TOKEN:\?/);
    expect(postgres?.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    // Declared secrets pass through when set and stay unset otherwise.
    expect(host?.environment).toMatchObject({ OPENAI_API_KEY: null, ATOLYE_MODEL: null });
    expect(orchestrator?.environment).not.toHaveProperty('OPENAI_API_KEY');
    expect(files['.env.example']).toMatch(/^OPENAI_API_KEY=$/m);
  });

  it('writes an entrypoint that Node parses', () => {
    const work = tempDir('atolye-entrypoint-');
    try {
      const file = path.join(work.dir, 'entrypoint.mjs');
      writeFileSync(file, files['docker-entrypoint.mjs']!);
      const result = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      work.cleanup();
    }
  });
});

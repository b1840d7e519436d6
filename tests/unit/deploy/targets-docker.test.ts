import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderDocker } from '../../../src/deploy/docker/index.js';
import { projectRoot } from '../../../src/config/index.js';
import { createManifest } from '../../../src/runtime/bundle/manifest.js';
import { tempDir } from '../../helpers/tmp.js';

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
const outDir = path.join(root, 'deploy', 'docker');
const files = renderDocker(manifest, { root, outDir });

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
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
    const sources = of('COPY')
      .filter((i) => !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    expect(sources).toEqual(
      expect.arrayContaining([
        'dist',
        'src',
        'bin',
        'config',
        'deploy/docker/docker-entrypoint.mjs',
      ]),
    );
    for (const source of sources.filter((s) => s !== 'dist' && !s.startsWith('deploy/'))) {
      expect(existsSync(path.join(root, source))).toBe(true);
    }
    expect(files['Dockerfile.dockerignore']).not.toMatch(/^dist$/m);
    expect(files['Dockerfile.dockerignore']).toMatch(/^\.env$/m);
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
    build?: { context: string; dockerfile: string };
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

  it('builds from the project root and keeps checkpoints in Postgres, workspaces on a shared volume', () => {
    expect(path.resolve(outDir, host!.build!.context)).toBe(root);
    expect(path.resolve(root, host!.build!.dockerfile)).toBe(path.join(outDir, 'Dockerfile'));
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

import {
  ConfigError,
  loadConfig,
  maskConfig,
  MASK,
  secretValues,
} from '../../../src/config/index.js';

// storage.url picks the checkpoint store: "" for SQLite in storage.dataDir, or a Postgres URL.

function load(environ: NodeJS.ProcessEnv, overrides: Record<string, string> = {}) {
  return loadConfig({ env: 'testing', environ, overrides });
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('storage.url', () => {
  it('defaults to "" (SQLite files in storage.dataDir)', () => {
    const loaded = load({});
    expect(loaded.config.storage.url).toBe('');
    expect(loaded.sourceOf('storage.url')).toBe('schema default');
  });

  it.each([
    'postgres://atolye:pw@db.internal:5432/atolye',
    'postgresql://atolye@localhost/atolye?sslmode=require',
    'postgresql:///atolye?host=/var/run/postgresql',
    'postgres://atolye:pw@/atolye?host=/var/run/postgresql',
    'POSTGRES://atolye:p%40ss@db/atolye',
  ])('accepts %s from ATOLYE_STORAGE_URL', (url) => {
    const loaded = load({ ATOLYE_STORAGE_URL: url });
    expect(loaded.config.storage.url).toBe(url);
    expect(loaded.sourceOf('storage.url')).toBe('environment variable ATOLYE_STORAGE_URL');
  });

  it.each([
    ['another scheme', 'mysql://atolye:s3cr3t@db/atolye'],
    ['a bare host', 'db.internal:5432'],
    ['a file path', '/var/lib/atolye/checkpoints.sqlite'],
  ])('refuses %s, naming the key and the expected form', (_name, url) => {
    const problems = problemsOf(() => load({ ATOLYE_STORAGE_URL: url }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^storage\.url: must be empty \(SQLite files in storage\.dataDir\) or a Postgres URL such as postgres:\/\/user:password@host:5432\/database/,
    );
    expect(problems[0]).toContain('(from environment variable ATOLYE_STORAGE_URL)');
    expect(problems[0]).not.toContain(url);
  });

  it('refuses a postgres:// value that does not parse, without echoing the password', () => {
    const problems = problemsOf(() =>
      load({}, { 'storage.url': 'postgres://atolye:s3cr3t@db:notaport/atolye' }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^storage\.url: .*does not parse as a URL \(check the port/);
    expect(problems[0]).toContain('(from flag --set storage.url)');
    expect(problems[0]).not.toContain('s3cr3t');
  });

  it('is sensitive: masked in printouts and listed for redaction', () => {
    const url = 'postgres://atolye:s3cr3t@db/atolye';
    const { config } = load({ ATOLYE_STORAGE_URL: url });
    const masked = maskConfig(config) as { storage: { url: string; dataDir: string } };
    expect(masked.storage.url).toBe(MASK);
    expect(JSON.stringify(masked)).not.toContain('s3cr3t');
    expect(secretValues(config)).toContain(url);
  });
});

import { loadConfig, ConfigError } from '../../../src/config/index.js';
import { tempDir, writeFiles } from '../../helpers/tmp.js';

const strongSecrets = {
  ATOLYE_SIGNING_SECRET: 'a4f1c9e0b7d24c6e8f3a5b1d9e7c2f40',
  ATOLYE_ADMIN_TOKEN: 'c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8',
};

describe('loadConfig', () => {
  let dir: string;
  let cleanup: () => void;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    writeFiles(dir, {
      'base.json': { logging: { level: 'info', maxSize: '5m' }, host: { port: 9000 } },
      'development.json': {
        logging: { level: 'debug' },
        security: { signingSecret: 'dev-secret', adminToken: 'dev-token' },
      },
      'production.json': { logging: { maxFiles: '30d' } },
      'testing.json': { security: { signingSecret: 'test-secret', adminToken: 'test-token' } },
    });
  });
  afterEach(() => cleanup());

  it('layers defaults < base < env file < ATOLYE_CONFIG_FILE < environment < overrides', () => {
    writeFiles(dir, { 'extra.json': { host: { port: 9100, bind: '0.0.0.0' }, service: 'extra' } });
    const loaded = loadConfig({
      configDir: dir,
      environ: {
        ATOLYE_CONFIG_FILE: `${dir}/extra.json`,
        ATOLYE_HOST_PORT: '9200',
        ATOLYE_SERVICE: 'from-env',
      },
      overrides: { service: 'from-flag' },
    });
    const { config } = loaded;
    expect(config.env).toBe('development');
    expect(config.logging.maxFiles).toBe('14d'); // schema default
    expect(config.logging.maxSize).toBe('5m'); // base
    expect(config.logging.level).toBe('debug'); // development.json
    expect(config.host.bind).toBe('0.0.0.0'); // ATOLYE_CONFIG_FILE
    expect(config.host.port).toBe(9200); // environment variable, coerced to a number
    expect(config.service).toBe('from-flag'); // CLI override
    expect(loaded.sourceOf('logging.maxFiles')).toBe('schema default');
    expect(loaded.sourceOf('logging.maxSize')).toMatch(/base\.json$/);
    expect(loaded.sourceOf('host.bind')).toMatch(/extra\.json$/);
    expect(loaded.sourceOf('host.port')).toBe('environment variable ATOLYE_HOST_PORT');
    expect(loaded.sourceOf('service')).toBe('flag --set service');
  });

  it('selects the environment from ATOLYE_ENV, and an explicit env beats it', () => {
    const fromEnv = loadConfig({ configDir: dir, environ: { ATOLYE_ENV: 'testing' } });
    expect(fromEnv.config.env).toBe('testing');
    expect(fromEnv.config.security.signingSecret).toBe('test-secret');
    const explicit = loadConfig({
      configDir: dir,
      environ: { ATOLYE_ENV: 'testing' },
      env: 'development',
    });
    expect(explicit.config.security.signingSecret).toBe('dev-secret');
    expect(explicit.sourceOf('env')).toBe('flag --env');
  });

  it('refuses an unknown environment', () => {
    expect(() => loadConfig({ configDir: dir, environ: { ATOLYE_ENV: 'staging' } })).toThrow(
      /environment "staging" is unknown: use one of development, production, testing/,
    );
  });

  it('names an unknown key, its file and the known keys beside it', () => {
    writeFiles(dir, { 'base.json': { logging: { levle: 'info' } } });
    const error = captureError(() => loadConfig({ configDir: dir, environ: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^logging\.levle: unknown setting/);
    expect(error.problems[0]).toContain('of "logging": dir, level, console');
    expect(error.problems[0]).toMatch(/in file .*base\.json\)$/);
  });

  it('reports every wrong type at once with its source and the expected form', () => {
    writeFiles(dir, { 'development.json': { host: { port: 'eighty' } } });
    const error = captureError(() =>
      loadConfig({
        configDir: dir,
        environ: { ATOLYE_LOG_LEVEL: 'loud', SENTRY_SAMPLE_RATE: '3' },
      }),
    );
    const text = error.problems.join('\n');
    expect(error.problems).toHaveLength(3);
    expect(text).toMatch(
      /logging\.level: must be one of .*"loud" \(from environment variable ATOLYE_LOG_LEVEL\)\. Expected: /,
    );
    expect(text).toMatch(/host\.port: .*\(from file .*development\.json\)/);
    expect(text).toMatch(/sentry\.sampleRate: must be a number from 0 to 1.*SENTRY_SAMPLE_RATE/);
  });

  it('refuses a fraction for a whole number rather than cutting it, and shows no NaN', () => {
    const error = captureError(() =>
      loadConfig({
        configDir: dir,
        environ: { ATOLYE_API_PORT: '8080.5', ATOLYE_MAX_ITERATIONS: 'many' },
      }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^api\.port: ports must be within range 0 - 65535: value was 8080\.5 \(from environment variable ATOLYE_API_PORT\)\. Expected: Port of the orchestrator/,
      ),
      expect.stringMatching(
        /^agent\.maxIterations: must be a positive integer \(from environment variable ATOLYE_MAX_ITERATIONS\)\. Expected: /,
      ),
    ]);
  });

  it('reports a section set to a plain value once, as an unknown key', () => {
    writeFiles(dir, { 'base.json': { logging: 'verbose' } });
    const error = captureError(() => loadConfig({ configDir: dir, environ: {} }));
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^logging: unknown setting; .*logging\.level.* \(in file .*base\.json\)$/,
      ),
    ]);
  });

  it('reports malformed JSON and a missing ATOLYE_CONFIG_FILE', () => {
    writeFiles(dir, { 'base.json': '{ "logging": ', 'production.json': '[1, 2]' });
    const error = captureError(() =>
      loadConfig({
        configDir: dir,
        env: 'production',
        environ: { ATOLYE_CONFIG_FILE: `${dir}/nope.json` },
      }),
    );
    expect(error.problems[0]).toMatch(/base\.json is not valid JSON/);
    expect(error.problems[1]).toMatch(/production\.json must hold a JSON object/);
    expect(error.problems[2]).toMatch(
      /ATOLYE_CONFIG_FILE names .*nope\.json, which does not exist/,
    );
  });

  it('rejects unknown override keys', () => {
    const error = captureError(() =>
      loadConfig({ configDir: dir, environ: {}, overrides: { 'host.prot': '1' } }),
    );
    expect(error.problems[0]).toMatch(
      /host\.prot: unknown setting.*known key of "host": bind, port.*--set host\.prot/,
    );
  });

  it('refuses production without secrets, listing each', () => {
    const error = captureError(() =>
      loadConfig({ configDir: dir, env: 'production', environ: {} }),
    );
    expect(error.message).toMatch(/Refusing to start in production/);
    expect(error.problems).toEqual([
      expect.stringMatching(/^security\.signingSecret is missing: set ATOLYE_SIGNING_SECRET/),
      expect.stringMatching(/^security\.adminToken is missing: set ATOLYE_ADMIN_TOKEN/),
    ]);
  });

  it('refuses production with development or weak secrets', () => {
    const error = captureError(() =>
      loadConfig({
        configDir: dir,
        env: 'production',
        environ: { ATOLYE_SIGNING_SECRET: 'dev-secret', ATOLYE_ADMIN_TOKEN: 'short' },
      }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^security\.signingSecret is still a development value/),
      expect.stringMatching(/^security\.adminToken is shorter than 16 characters/),
    ]);
  });

  it('lets a function worker load production without the host secrets it never receives', () => {
    const { config } = loadConfig({
      configDir: dir,
      env: 'production',
      environ: {},
      checkProductionSecrets: false,
    });
    expect(config.env).toBe('production');
    expect(config.security.signingSecret).toBe('');
  });

  it('reports the production secret problems it was told not to refuse, and none elsewhere', () => {
    const production = loadConfig({
      configDir: dir,
      env: 'production',
      environ: { ATOLYE_SIGNING_SECRET: 'dev-secret' },
      checkProductionSecrets: false,
    });
    expect(production.secretProblems()).toEqual([
      expect.stringMatching(
        /^security\.signingSecret is still a development value: set ATOLYE_SIGNING_SECRET/,
      ),
      expect.stringMatching(/^security\.adminToken is missing: set ATOLYE_ADMIN_TOKEN/),
    ]);
    const strong = { configDir: dir, env: 'production', environ: strongSecrets };
    expect(loadConfig(strong).secretProblems()).toEqual([]);
    expect(
      loadConfig({ configDir: dir, env: 'development', environ: {} }).secretProblems(),
    ).toEqual([]);
  });

  it('starts production with strong secrets', () => {
    const { config } = loadConfig({ configDir: dir, env: 'production', environ: strongSecrets });
    expect(config.env).toBe('production');
    expect(config.logging.maxFiles).toBe('30d');
  });

  it('does not echo a sensitive value in a type error', () => {
    writeFiles(dir, { 'development.json': { security: { signingSecret: 1234567890123 } } });
    const error = captureError(() => loadConfig({ configDir: dir, environ: {} }));
    expect(error.problems[0]).toMatch(/^security\.signingSecret: must be of type String/);
    expect(error.message).not.toContain('1234567890123');
  });
});

function captureError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

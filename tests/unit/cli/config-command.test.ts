import { runCli } from '../../helpers/cli.js';

// Each command sees this process's environment with the variables a test names on top.
const SOUND_SECRETS = {
  ATOLYE_SIGNING_SECRET: '9c1f7e3a5b2d4f6e8a0c1b3d5f7e9a2c',
  ATOLYE_ADMIN_TOKEN: '1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c2e',
};
const NO_SECRETS = { ATOLYE_SIGNING_SECRET: undefined, ATOLYE_ADMIN_TOKEN: undefined };

describe('atolye config', () => {
  it('show prints the effective configuration with every secret masked', async () => {
    const result = await runCli(['config', 'show'], {
      env: {
        ATOLYE_ENV: 'testing',
        SENTRY_DSN: 'https://deadbeefcafe@o1.ingest.example/7',
        ATOLYE_SIGNING_SECRET: 'super-secret-signing-value-123',
      },
    });
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as {
      env: string;
      security: { signingSecret: string };
    };
    expect(shown.env).toBe('testing');
    expect(shown.security.signingSecret).toBe('********');
    expect(result.stdout).not.toContain('deadbeefcafe');
    expect(result.stdout).not.toContain('super-secret-signing-value-123');
  });

  it('show --env and --set pick the layer and the override', async () => {
    const result = await runCli([
      '--set',
      'host.port=9999',
      'config',
      'show',
      '--env',
      'development',
    ]);
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as { env: string; host: { port: number } };
    expect(shown.env).toBe('development');
    expect(shown.host.port).toBe(9999);
  });

  it('show --sources names where each value came from', async () => {
    const result = await runCli(['config', 'show', '--sources'], {
      env: { ATOLYE_LOG_LEVEL: 'warn', ATOLYE_DATA_DIR: undefined },
    });
    expect(result.code).toBe(0);
    const sources = JSON.parse(result.stdout) as Record<string, string>;
    expect(sources['logging.level']).toBe('environment variable ATOLYE_LOG_LEVEL');
    expect(sources['storage.dataDir']).toBe('schema default');
  });

  it('reads the environment it is given, which this process does not have', async () => {
    expect(process.env.ATOLYE_LOG_LEVEL).toBeUndefined();
    const result = await runCli(['config', 'show'], { env: { ATOLYE_LOG_LEVEL: 'error' } });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { logging: { level: string } }).logging.level).toBe(
      'error',
    );
  });

  it('show --env production --sources prints the sources and how to set each missing secret', async () => {
    const result = await runCli(['config', 'show', '--env', 'production', '--sources'], {
      env: NO_SECRETS,
    });
    expect(result.code).toBe(0);
    const sources = JSON.parse(result.stdout) as Record<string, string>;
    expect(sources.env).toBe('flag --env');
    expect(sources['security.signingSecret']).toBe('schema default');
    expect(result.stderr).toContain('production would refuse to start');
    expect(result.stderr).toContain('security.signingSecret is missing: set ATOLYE_SIGNING_SECRET');
    expect(result.stderr).toContain('security.adminToken is missing: set ATOLYE_ADMIN_TOKEN');
    expect(result.stderr).toContain('npx atolye config validate --env production');
  });

  it('show --env production masks a development secret while saying it must change', async () => {
    const result = await runCli(['config', 'show', '--env', 'production'], {
      env: {
        ATOLYE_SIGNING_SECRET: 'dev-signing-secret-not-for-production',
        ATOLYE_ADMIN_TOKEN: SOUND_SECRETS.ATOLYE_ADMIN_TOKEN,
      },
    });
    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout) as {
      env: string;
      security: { signingSecret: string; adminToken: string };
    };
    expect(shown.env).toBe('production');
    expect(shown.security).toEqual({ signingSecret: '********', adminToken: '********' });
    expect(result.stderr).toContain(
      'security.signingSecret is still a development value: set ATOLYE_SIGNING_SECRET',
    );
    expect(result.stderr).not.toContain('security.adminToken');
    const printed = result.stdout + result.stderr;
    expect(printed).not.toContain('dev-signing-secret-not-for-production');
    expect(printed).not.toContain(SOUND_SECRETS.ATOLYE_ADMIN_TOKEN);
  });

  it('show --env production with both secrets set lists nothing to set', async () => {
    const result = await runCli(['config', 'show', '--env', 'production'], { env: SOUND_SECRETS });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('validate --env production fails without secrets and names each', async () => {
    const result = await runCli(['config', 'validate', '--env', 'production'], {
      env: NO_SECRETS,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('security.signingSecret is missing');
    expect(result.stderr).toContain('security.adminToken is missing');
  });

  it('validate succeeds for a sound configuration', async () => {
    const result = await runCli(['config', 'validate', '--env', 'production'], {
      env: SOUND_SECRETS,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('configuration for "production" is valid');
  });

  it('a malformed --set is a usage error', async () => {
    const result = await runCli(['--set', 'oops', 'config', 'show']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--set takes key=value, got "oops"');
  });

  it('an unknown command is a usage error', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

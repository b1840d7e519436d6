import { main } from '../../../src/cli/main.js';
import { captureOutput } from '../../helpers/output.js';

describe('atolye config', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('show prints the effective configuration with every secret masked', async () => {
    process.env.SENTRY_DSN = 'https://deadbeefcafe@o1.ingest.example/7';
    process.env.ATOLYE_SIGNING_SECRET = 'super-secret-signing-value-123';
    const output = captureOutput();
    expect(await main(['config', 'show'], output)).toBe(0);
    const shown = JSON.parse(output.stdout()) as {
      env: string;
      security: { signingSecret: string };
    };
    expect(shown.env).toBe('testing');
    expect(shown.security.signingSecret).toBe('********');
    expect(output.stdout()).not.toContain('deadbeefcafe');
    expect(output.stdout()).not.toContain('super-secret-signing-value-123');
  });

  it('show --env and --set pick the layer and the override', async () => {
    const output = captureOutput();
    expect(
      await main(['--set', 'host.port=9999', 'config', 'show', '--env', 'development'], output),
    ).toBe(0);
    const shown = JSON.parse(output.stdout()) as { env: string; host: { port: number } };
    expect(shown.env).toBe('development');
    expect(shown.host.port).toBe(9999);
  });

  it('show --sources names where each value came from', async () => {
    process.env.ATOLYE_LOG_LEVEL = 'warn';
    const output = captureOutput();
    expect(await main(['config', 'show', '--sources'], output)).toBe(0);
    const sources = JSON.parse(output.stdout()) as Record<string, string>;
    expect(sources['logging.level']).toBe('environment variable ATOLYE_LOG_LEVEL');
    expect(sources['storage.dataDir']).toBe('schema default');
  });

  it('show --env production --sources prints the sources and how to set each missing secret', async () => {
    delete process.env.ATOLYE_SIGNING_SECRET;
    delete process.env.ATOLYE_ADMIN_TOKEN;
    const output = captureOutput();
    expect(await main(['config', 'show', '--env', 'production', '--sources'], output)).toBe(0);
    const sources = JSON.parse(output.stdout()) as Record<string, string>;
    expect(sources.env).toBe('flag --env');
    expect(sources['security.signingSecret']).toBe('schema default');
    expect(output.stderr()).toContain('production would refuse to start');
    expect(output.stderr()).toContain(
      'security.signingSecret is missing: set ATOLYE_SIGNING_SECRET',
    );
    expect(output.stderr()).toContain('security.adminToken is missing: set ATOLYE_ADMIN_TOKEN');
    expect(output.stderr()).toContain('npx atolye config validate --env production');
  });

  it('show --env production masks a development secret while saying it must change', async () => {
    process.env.ATOLYE_SIGNING_SECRET = 'dev-signing-secret-not-for-production';
    process.env.ATOLYE_ADMIN_TOKEN = '1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c2e';
    const output = captureOutput();
    expect(await main(['config', 'show', '--env', 'production'], output)).toBe(0);
    const shown = JSON.parse(output.stdout()) as {
      env: string;
      security: { signingSecret: string; adminToken: string };
    };
    expect(shown.env).toBe('production');
    expect(shown.security).toEqual({ signingSecret: '********', adminToken: '********' });
    expect(output.stderr()).toContain(
      'security.signingSecret is still a development value: set ATOLYE_SIGNING_SECRET',
    );
    expect(output.stderr()).not.toContain('security.adminToken');
    const printed = output.stdout() + output.stderr();
    expect(printed).not.toContain('dev-signing-secret-not-for-production');
    expect(printed).not.toContain('1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c2e');
  });

  it('show --env production with both secrets set lists nothing to set', async () => {
    process.env.ATOLYE_SIGNING_SECRET = '9c1f7e3a5b2d4f6e8a0c1b3d5f7e9a2c';
    process.env.ATOLYE_ADMIN_TOKEN = '1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c2e';
    const output = captureOutput();
    expect(await main(['config', 'show', '--env', 'production'], output)).toBe(0);
    expect(output.stderr()).toBe('');
  });

  it('validate --env production fails without secrets and names each', async () => {
    delete process.env.ATOLYE_SIGNING_SECRET;
    delete process.env.ATOLYE_ADMIN_TOKEN;
    const output = captureOutput();
    expect(await main(['config', 'validate', '--env', 'production'], output)).toBe(1);
    expect(output.stderr()).toContain('security.signingSecret is missing');
    expect(output.stderr()).toContain('security.adminToken is missing');
  });

  it('validate succeeds for a sound configuration', async () => {
    process.env.ATOLYE_SIGNING_SECRET = '9c1f7e3a5b2d4f6e8a0c1b3d5f7e9a2c';
    process.env.ATOLYE_ADMIN_TOKEN = '1e3c5a7f9b2d4e6a8c0f1b3d5e7a9c2e';
    const output = captureOutput();
    expect(await main(['config', 'validate', '--env', 'production'], output)).toBe(0);
    expect(output.stdout()).toContain('configuration for "production" is valid');
  });

  it('a malformed --set is a usage error', async () => {
    const output = captureOutput();
    expect(await main(['--set', 'oops', 'config', 'show'], output)).toBe(2);
    expect(output.stderr()).toContain('--set takes key=value, got "oops"');
  });

  it('an unknown command is a usage error', async () => {
    const output = captureOutput();
    expect(await main(['frobnicate'], output)).not.toBe(0);
    expect(output.stderr()).toMatch(/unknown command 'frobnicate'/);
  });
});

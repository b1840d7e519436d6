import {
  loadConfig,
  maskConfig,
  secretValues,
  MASK,
  resolveRelease,
} from '../../../src/config/index.js';

describe('maskConfig', () => {
  const { config } = loadConfig({
    env: 'testing',
    environ: { SENTRY_DSN: 'https://abc123@o1.ingest.example/7', ATOLYE_ADMIN_TOKEN: '' },
  });

  it('masks every non-empty secret and leaves an unset one empty', () => {
    const masked = maskConfig(config) as {
      sentry: { dsn: string };
      security: Record<string, string>;
    };
    expect(masked.sentry.dsn).toBe(MASK);
    expect(masked.security.signingSecret).toBe(MASK);
    expect(masked.security.adminToken).toBe('');
    const text = JSON.stringify(masked);
    expect(text).not.toContain('abc123');
    expect(text).not.toContain(config.security.signingSecret);
  });

  it('does not touch the configuration it masks', () => {
    maskConfig(config);
    expect(config.sentry.dsn).toBe('https://abc123@o1.ingest.example/7');
  });

  it('lists the secret values for redaction', () => {
    expect(secretValues(config).sort()).toEqual(
      ['https://abc123@o1.ingest.example/7', config.security.signingSecret].sort(),
    );
  });
});

describe('resolveRelease', () => {
  it('prefers the configured release', () => {
    expect(resolveRelease({ release: '1.2.3' })).toBe('1.2.3');
  });

  it('derives version plus git sha otherwise', () => {
    expect(resolveRelease({ release: '' })).toMatch(/^0\.1\.0(\+[0-9a-f]{7,})?$/);
  });
});

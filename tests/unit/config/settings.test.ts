import { SENSITIVE_KEYS, loadConfig } from '../../../src/config/load.js';
import { SECRET_SETTINGS } from '../../../src/config/setting-paths.js';
import {
  resolveSettings,
  settingProblems,
  settingVariables,
  withEnvironment,
} from '../../../src/config/settings.js';

const { config } = loadConfig({ env: 'testing', environ: {} });

describe('function settings', () => {
  it('list the schema’s secret keys, which are never settings', () => {
    expect([...SECRET_SETTINGS].sort()).toEqual([...SENSITIVE_KEYS].sort());
  });

  it('accept sections and keys of the schema and name each unknown or secret path', () => {
    expect(settingProblems(['sandbox', 'workspace.root', 'env', 'model.prices'])).toEqual([]);
    expect(settingProblems(['workspace.rot', 'sandboxes', 'model.apiKey'])).toEqual([
      'setting "workspace.rot" is not a configuration key; known keys of "workspace": root, importMaxArchiveBytes, importMaxFiles, importMaxBytes, importMaxRatio',
      expect.stringMatching(
        /^setting "sandboxes" is not a configuration key; known sections: env, /,
      ),
      'setting "model.apiKey" holds a secret, which is never a setting: declare OPENAI_API_KEY in secrets instead',
    ]);
  });

  it('resolve to the declared values only, leaving secret keys out of a section', () => {
    const settings = resolveSettings(config, ['workspace.root', 'model', 'git']);
    expect(Object.keys(settings).sort()).toEqual(['git', 'model', 'workspace']);
    expect(settings.workspace).toEqual({ root: 'data/workspaces' });
    expect(settings.model).toMatchObject({ name: 'gpt-4o-mini', maxTokens: 4096 });
    expect(settings.model).not.toHaveProperty('apiKey');
    expect(settings.git).not.toHaveProperty('token');
    expect(settings.git).toMatchObject({ allowHosts: '127.0.0.1' });
    // The signing secret of config/testing.json is nowhere in what a worker gets.
    expect(JSON.stringify(resolveSettings(config, ['security', 'sandbox']))).not.toContain(
      config.security.signingSecret,
    );
    expect(resolveSettings(config, [])).toEqual({});
    expect(() => resolveSettings(config, ['nope'])).toThrow(
      expect.objectContaining({
        code: 'SETTINGS_INVALID',
        message: expect.stringContaining('"nope"'),
      }),
    );
  });

  it('name the variables that set them, for a remote target’s function container', () => {
    expect(settingVariables(['sandbox', 'workspace.root'])).toEqual([
      'ATOLYE_SANDBOX_MODE',
      'ATOLYE_WORKSPACE_ROOT',
    ]);
    expect(settingVariables(['model'])).not.toContain('OPENAI_API_KEY');
    expect(settingVariables(['model'])).toContain('ATOLYE_MODEL');
  });

  it('take a worker environment’s variables over the host’s configuration, validated', () => {
    const overlaid = withEnvironment(config, {
      ATOLYE_SANDBOX_MODE: 'none',
      ATOLYE_MODEL_TIMEOUT_MS: '5000',
    });
    expect(overlaid.sandbox.mode).toBe('none');
    expect(overlaid.model.timeoutMs).toBe(5000);
    expect(overlaid.security.signingSecret).toBe(config.security.signingSecret);
    expect(() => withEnvironment(config, { ATOLYE_SANDBOX_MODE: 'docker' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        problems: [
          expect.stringMatching(
            /^sandbox\.mode: must be one of the possible values: \["bwrap","none"\]: value was "docker" \(from environment variable ATOLYE_SANDBOX_MODE\)\. Expected: How run_command is isolated/,
          ),
        ],
      }),
    );
  });
});

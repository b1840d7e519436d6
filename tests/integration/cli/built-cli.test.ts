import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyCheckout, type CheckoutCopy } from './checkout-copy.js';

/** `npx atolye` starts from the ahead-of-time build in dist/cli, rebuilt when a source changes. */

let checkout: CheckoutCopy;
beforeEach(() => {
  checkout = copyCheckout();
});
afterEach(() => checkout.cleanup());

function record(): { entry: string; inputs: Record<string, number> } {
  return JSON.parse(readFileSync(path.join(checkout.dir, 'dist/cli/build.json'), 'utf8')) as {
    entry: string;
    inputs: Record<string, number>;
  };
}

function recordWritten(): number {
  return statSync(path.join(checkout.dir, 'dist/cli/build.json')).mtimeMs;
}

/** Edits a source of the copy, as a developer would: new content, new mtime. */
function edit(file: string, change: (text: string) => string): void {
  const target = path.join(checkout.dir, file);
  writeFileSync(target, change(readFileSync(target, 'utf8')));
}

describe('the built CLI', () => {
  it('is built on first use, then started from that build until a source changes', async () => {
    const help = await checkout.atolye('--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: atolye \[options\] \[command\]/);
    for (const command of ['deploy', 'status', 'run', 'keys', 'config']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const built = record();
    expect(built.entry).toMatch(/^[0-9a-f]{16}\/main\.js$/);
    expect(built.inputs['src/cli/main.ts']).toBeGreaterThan(0);
    const written = recordWritten();

    // Commands that load their implementation on use, with their exit codes as before.
    const validate = await checkout.atolye('config', 'validate');
    expect(validate).toMatchObject({ code: 0, stdout: 'configuration for "testing" is valid\n' });
    const status = await checkout.atolye('status');
    expect(status.code).toBe(1);
    expect(status.stderr).toBe(
      'atolye: no worker host is running; start one with `npm run deploy`\n',
    );
    const unknown = await checkout.atolye('no-such-command');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'no-such-command'");

    expect(record()).toEqual(built);
    expect(recordWritten()).toBe(written);
  });

  it('rebuilds before it starts when a source has changed since the build', async () => {
    expect((await checkout.atolye('--help')).code).toBe(0);
    const before = record();
    edit('src/cli/main.ts', (text) =>
      text.replace('a self-hostable AI coding agent', 'an edited AI coding agent'),
    );
    const help = await checkout.atolye('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Atölye Şefi — an edited AI coding agent');
    expect(record().entry).not.toBe(before.entry);
    // The build it replaced stays for commands still running from it.
    expect(statSync(path.join(checkout.dir, 'dist/cli', before.entry)).isFile()).toBe(true);
  });

  it('names the file and line when the sources do not build, and starts nothing', async () => {
    edit('src/cli/table.ts', (text) => `${text}\nexport const broken = ;\n`);
    const result = await checkout.atolye('--help');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^atolye: cannot build the atolye CLI from src\/cli\/main\.ts; fix the source and run it again:\n {2}src\/cli\/table\.ts:\d+:\d+: Unexpected ";"\n$/,
    );

    edit('src/cli/table.ts', (text) => text.replace('export const broken = ;\n', ''));
    expect((await checkout.atolye('--help')).code).toBe(0);
  });

  it('builds functions: it loads their TypeScript with tsx and bundles them with the worker shim', async () => {
    const result = await checkout.atolye(
      'build',
      '--only',
      'echo',
      '--out',
      'out',
      '--no-extension',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^echo\s+\d+\.\d KiB\s+[0-9a-f]{12}\s+-$/m);
    const bundle = readFileSync(path.join(checkout.dir, 'out/functions/echo/index.mjs'), 'utf8');
    expect(bundle).toContain('serveWorker');
  });

  it('is built by `node bin/cli-build.js` (npm install and npm run build run it)', async () => {
    const result = await checkout.buildScript();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^built the atolye CLI in \d+ ms → dist\/cli\/[0-9a-f]{16}\/main\.js \(\d+ sources\)\n$/,
    );
    const written = recordWritten();
    expect((await checkout.atolye('--help')).code).toBe(0);
    expect(recordWritten()).toBe(written);
  });
});

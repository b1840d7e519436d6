import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(REPO, 'bin/atolye.js');
const run = promisify(execFile);

/** Node with `process.version` reporting `version`, as an older Node would. */
function asNode(version: string): string[] {
  const fake =
    `Object.defineProperty(process.versions, 'node', { value: '${version}' });` +
    `Object.defineProperty(process, 'version', { value: 'v${version}' });`;
  return ['--import', `data:text/javascript,${encodeURIComponent(fake)}`];
}

describe('atolye on an unsupported Node', () => {
  it('refuses Node 20 with a message that says where Node 24 is', async () => {
    const failed = await run(process.execPath, [...asNode('20.20.2'), CLI, '--help']).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain('atolye needs Node.js 24 or newer, and this is v20.20.2.');
    expect(failed?.stderr).toContain('npx atolye');
  });

  it('runs on the Node that runs the tests', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    expect(stdout).toContain('Usage: atolye');
  });
});

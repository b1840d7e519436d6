import {
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  executeToolCall,
  resolveInside,
  type RunCommand,
} from '../../../../src/agent/tools/index.js';
import { tempDir, writeFiles } from '../../../helpers/tmp.js';

/** Every file under `dir` with its content and mtime, to prove nothing outside was touched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile()) out[full] = `${readFileSync(full, 'utf8')}@${statSync(full).mtimeMs}`;
    else out[full] = entry.isDirectory() ? 'dir' : 'other';
  }
  return out;
}

const TRAVERSALS = [
  '/etc/passwd',
  '../outside/secret.txt',
  'a/../../outside/secret.txt',
  'sub/../../outside/secret.txt',
  'link-dir/secret.txt',
  'link-dir/new.txt',
  'link-dir/deeper/new.txt',
  'link-file',
  'dangling',
  '%2e%2e%2foutside%2fsecret.txt',
  '%2e%2e/outside/secret.txt',
  '..%2foutside%2fsecret.txt',
  '..\\outside\\secret.txt',
  'sub\\..\\..\\outside\\secret.txt',
  'secret.txt\0.md',
];

describe('workspace confinement with real files', () => {
  let root: { dir: string; cleanup(): void };
  let workspace: string;
  let outside: string;
  const runs: string[] = [];
  const runCommand: RunCommand = async (command) => {
    runs.push(command);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
  };

  beforeEach(() => {
    root = tempDir();
    workspace = path.join(root.dir, 'workspace');
    outside = path.join(root.dir, 'outside');
    writeFiles(root.dir, {
      'outside/secret.txt': 'top secret\n',
      'outside/dir/keep.txt': 'keep\n',
      'workspace/sub/inner.txt': 'inner\n',
    });
    symlinkSync(outside, path.join(workspace, 'link-dir'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(workspace, 'link-file'));
    symlinkSync(path.join(outside, 'missing.txt'), path.join(workspace, 'dangling'));
    symlinkSync('sub/inner.txt', path.join(workspace, 'inner-link'));
    runs.length = 0;
  });
  afterEach(() => root.cleanup());

  it.each(TRAVERSALS)('resolveInside refuses %j', async (userPath) => {
    const result = await resolveInside(workspace, userPath);
    expect(result.ok).toBe(false);
  });

  it('names symlink escapes and dangling links distinctly', async () => {
    await expect(resolveInside(workspace, 'link-dir/x')).resolves.toMatchObject({
      code: 'PATH_SYMLINK_OUTSIDE',
    });
    await expect(resolveInside(workspace, 'link-file')).resolves.toMatchObject({
      code: 'PATH_SYMLINK_OUTSIDE',
    });
    await expect(resolveInside(workspace, 'dangling')).resolves.toMatchObject({
      code: 'PATH_DANGLING_SYMLINK',
    });
  });

  it('resolves paths that stay inside, including through an inside symlink and a symlinked root', async () => {
    await expect(resolveInside(workspace, 'inner-link')).resolves.toMatchObject({
      ok: true,
      relative: 'inner-link',
    });
    await expect(resolveInside(workspace, 'sub/new/deep.txt')).resolves.toMatchObject({
      ok: true,
      relative: 'sub/new/deep.txt',
    });
    const rootLink = path.join(root.dir, 'root-link');
    symlinkSync(workspace, rootLink);
    const viaLink = await resolveInside(rootLink, 'sub/inner.txt');
    expect(viaLink).toMatchObject({ ok: true, absolute: path.join(workspace, 'sub/inner.txt') });
  });

  it.each(['read_file', 'write_file', 'edit_file', 'delete_file', 'list_files'])(
    '%s refuses every traversal form and touches nothing outside',
    async (name) => {
      const before = snapshot(outside);
      for (const userPath of TRAVERSALS) {
        const args = { path: userPath, content: 'pwned', oldText: 'top', newText: 'pwned' };
        const result = await executeToolCall(
          { id: userPath, name, args },
          { workspace, runCommand },
        );
        expect([userPath, result.observation.ok]).toEqual([userPath, false]);
        expect(result.observation.content).toMatch(/^Refused: /);
        expect(result.observation.content).not.toContain('top secret');
        expect(result.filesChanged).toEqual([]);
      }
      expect(snapshot(outside)).toEqual(before);
      expect(readdirSync(root.dir).sort()).toEqual(['outside', 'workspace']);
    },
  );

  it('run_command refuses a cwd outside the workspace without running anything', async () => {
    for (const cwd of ['..', 'link-dir', '/tmp', '%2e%2e']) {
      const result = await executeToolCall(
        { id: cwd, name: 'run_command', args: { command: 'cat secret.txt', cwd } },
        { workspace, runCommand },
      );
      expect(result.observation).toMatchObject({ ok: false });
      expect(result.observation.content).toMatch(/^Refused: /);
    }
    expect(runs).toEqual([]);
  });

  it('writing through a symlink that points inside changes the target, deleting it removes only the link', async () => {
    const ctx = { workspace, runCommand };
    const write = await executeToolCall(
      { id: 'w', name: 'write_file', args: { path: 'inner-link', content: 'changed\n' } },
      ctx,
    );
    expect(write.observation.ok).toBe(true);
    expect(readFileSync(path.join(workspace, 'sub/inner.txt'), 'utf8')).toBe('changed\n');
    const del = await executeToolCall(
      { id: 'd', name: 'delete_file', args: { path: 'inner-link' } },
      ctx,
    );
    expect(del.observation.ok).toBe(true);
    expect(readFileSync(path.join(workspace, 'sub/inner.txt'), 'utf8')).toBe('changed\n');
    expect(readdirSync(workspace)).not.toContain('inner-link');
  });

  it('a workspace-local file literally named with percent signs is still usable', async () => {
    mkdirSync(path.join(workspace, 'docs'));
    writeFileSync(path.join(workspace, 'docs', '100%25.txt'), 'literal\n');
    const result = await executeToolCall(
      { id: 'r', name: 'read_file', args: { path: 'docs/100%25.txt' } },
      { workspace, runCommand },
    );
    expect(result.observation).toMatchObject({ ok: true });
    expect(result.observation.content).toContain('literal');
  });
});

import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { assertReachable } from '../../../../src/agent/sandbox/identity.js';
import { tempDir } from '../../../helpers/tmp.js';

// A user that owns nothing here, so only the "others" permission bits apply to it.
const STRANGER = { uid: 54321, gid: 54321 };

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('atolye-identity-');
});
afterEach(() => tmp.cleanup());

describe('assertReachable', () => {
  it('accepts a workspace whose parents others may enter', async () => {
    chmodSync(tmp.dir, 0o755);
    const workspace = path.join(tmp.dir, 'ws');
    mkdirSync(workspace, { mode: 0o700 });
    await expect(assertReachable(workspace, STRANGER)).resolves.toBeUndefined();
  });

  it('names the parent the sandbox user cannot enter', async () => {
    chmodSync(tmp.dir, 0o700);
    const workspace = path.join(tmp.dir, 'ws');
    mkdirSync(workspace);
    await expect(assertReachable(workspace, STRANGER)).rejects.toMatchObject({
      code: 'SANDBOX_WORKSPACE_UNREACHABLE',
      message: expect.stringContaining(`chmod o+x ${tmp.dir}`),
    });
  });
});

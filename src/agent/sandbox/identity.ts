import { lstat, lchown, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AtolyeError } from '../../errors.js';

/** Host user and group that run a sandbox. */
export interface SandboxUser {
  uid: number;
  gid: number;
}

/** nobody:nogroup on Debian. */
export const UNPRIVILEGED: SandboxUser = { uid: 65534, gid: 65534 };

/**
 * The host user to run bwrap as, or undefined for the current one. The kernel exempts root from
 * RLIMIT_NPROC even inside a user namespace, so a root service hands the sandbox to an
 * unprivileged user; otherwise a fork bomb would only stop at the host's pid_max.
 */
export function sandboxUser(): SandboxUser | undefined {
  return process.getuid?.() === 0 ? UNPRIVILEGED : undefined;
}

/** Makes `user` own the workspace tree (symlinks are not followed) so the sandbox can write it. */
export async function handOverWorkspace(dir: string, user: SandboxUser): Promise<void> {
  const info = await lstat(dir);
  if (info.uid !== user.uid || info.gid !== user.gid) await lchown(dir, user.uid, user.gid);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(dir)) {
    await handOverWorkspace(path.join(dir, entry), user);
  }
}

/** Fails with an actionable message when `user` cannot reach `dir` through its parents. */
export async function assertReachable(dir: string, user: SandboxUser): Promise<void> {
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    const info = await stat(parent);
    const bit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) {
      throw new AtolyeError(
        'SANDBOX_WORKSPACE_UNREACHABLE',
        `The sandbox user ${user.uid}:${user.gid} cannot enter ${parent}, a parent of the ` +
          `workspace ${dir}. Keep workspaces under directories others may enter (chmod o+x ` +
          `${parent}), or run the service as a non-root user.`,
      );
    }
    if (parent === path.dirname(parent)) return;
  }
}

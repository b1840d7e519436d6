import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { prlimitArgs } from './limits.js';
import type { SandboxLimits } from './types.js';

/** Top-level system paths: Debian makes these symlinks into /usr, older systems directories. */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64'];

/** What the dynamic loader, python3 and node read from /etc; nothing else of it is visible. */
const ETC_ENTRIES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/nsswitch.conf',
];

export interface LayoutOptions {
  workspace: string;
  command: string;
  limits: SandboxLimits;
  env: Record<string, string>;
}

/**
 * bwrap arguments: every namespace unshared (no network, own pids, own user namespace), a
 * read-only system, the workspace as the only writable place, a private /tmp and an environment
 * holding only `env`. prlimit inside caps the command and everything it starts.
 */
export function bwrapArgs(options: LayoutOptions): string[] {
  const args = ['--unshare-all', '--unshare-user', '--die-with-parent', '--new-session'];
  args.push('--ro-bind', '/usr', '/usr');
  for (const dir of SYSTEM_DIRS) {
    const link = symlinkTarget(dir);
    if (link !== undefined) args.push('--symlink', link, dir);
    else if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  }
  for (const entry of ETC_ENTRIES) {
    if (existsSync(entry)) args.push('--ro-bind', entry, entry);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  args.push('--bind', options.workspace, '/workspace', '--chdir', '/workspace');
  // The root is a tmpfs bwrap built to hold the mounts; without this /etc and / stay writable.
  args.push('--remount-ro', '/');
  args.push('--clearenv');
  for (const [name, value] of Object.entries(options.env)) args.push('--setenv', name, value);
  args.push('prlimit', ...prlimitArgs(options.limits), '/bin/sh', '-c', options.command);
  return args;
}

function symlinkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

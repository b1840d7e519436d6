import type convict from 'convict';
import type { AtolyeConfig } from './types.js';
import { SANDBOX_MODES } from './types.js';
import { assertPositiveInt } from './formats.js';

/** Where the agent works: the sandbox its commands run in, the thread workspaces, and git. */
export const workspaceSchema: Pick<
  convict.Schema<AtolyeConfig>,
  'sandbox' | 'workspace' | 'git'
> = {
  sandbox: {
    mode: {
      doc: 'How run_command is isolated: "bwrap" (bubblewrap) or "none" (no isolation; development and testing only).',
      format: SANDBOX_MODES as unknown as string[],
      default: 'bwrap',
      env: 'ATOLYE_SANDBOX_MODE',
    },
    timeoutMs: {
      doc: 'Wall-clock limit of one sandboxed command in milliseconds; the whole sandbox is killed after it.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 60_000,
    },
    cpuSeconds: {
      doc: 'CPU seconds one sandboxed command may use (RLIMIT_CPU).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 60,
    },
    memoryMb: {
      doc: 'Address space of each sandboxed process in MiB (RLIMIT_AS).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 1024,
    },
    fileSizeMb: {
      doc: 'Largest file a sandboxed command may write, in MiB (RLIMIT_FSIZE).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 64,
    },
    processes: {
      doc: 'Processes and threads a sandboxed command may have at once (RLIMIT_NPROC in its own user namespace).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 64,
    },
    outputCapBytes: {
      doc: 'Bytes kept of each of stdout and stderr (head and tail; the middle is omitted).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 65_536,
    },
  },
  workspace: {
    root: {
      doc: 'Directory holding one workspace per thread (relative to the project root).',
      format: String,
      default: 'data/workspaces',
      env: 'ATOLYE_WORKSPACE_ROOT',
    },
    importMaxArchiveBytes: {
      doc: 'Largest folder archive (.tar.gz or .zip) a thread import accepts, in bytes as uploaded.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 100 * 1024 * 1024,
    },
    importMaxFiles: {
      doc: 'Most entries (files, folders and links) one import may hold.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 50_000,
    },
    importMaxBytes: {
      doc: 'Most bytes one import may unpack to.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 1024 * 1024 * 1024,
    },
    importMaxRatio: {
      doc: 'Highest unpacked-to-packed size ratio of an import archive (a higher one looks like a zip bomb).',
      format: (value: unknown) => assertPositiveInt(value),
      default: 200,
    },
  },
  git: {
    token: {
      doc: 'Token for cloning private repositories and pushing branches over https; only the checkout function receives it.',
      format: String,
      default: '',
      env: 'ATOLYE_GIT_TOKEN',
      sensitive: true,
    },
    allowedSchemes: {
      doc: 'URL schemes a thread may be cloned from, comma-separated: https; file (paths on this server) and http only where that is safe (development, testing).',
      format: (value: unknown) => {
        const schemes = typeof value === 'string' ? value.split(',') : [value];
        if (schemes.some((scheme) => !['https', 'http', 'file'].includes(String(scheme).trim()))) {
          throw new Error('must be a comma-separated list of https, http, file');
        }
      },
      default: 'https',
      env: 'ATOLYE_GIT_SCHEMES',
    },
    allowHosts: {
      doc: 'Hosts (comma-separated host or host:port) a clone or push may reach on a loopback, private or link-local address; none by default, so a URL cannot reach into the private network.',
      format: String,
      default: '',
      env: 'ATOLYE_GIT_ALLOW_HOSTS',
    },
    tokenHosts: {
      doc: 'Hosts (comma-separated names) git.token is sent to; a URL naming another host gets no token.',
      format: String,
      default: 'github.com,gitlab.com,bitbucket.org',
      env: 'ATOLYE_GIT_TOKEN_HOSTS',
    },
    timeoutMs: {
      doc: 'Longest a clone or push may take, in milliseconds.',
      format: (value: unknown) => assertPositiveInt(value),
      default: 300_000,
    },
  },
};

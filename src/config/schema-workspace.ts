import { SANDBOX_MODES } from './values.js';
import { assertPositiveInt, isString, oneOf } from './formats.js';
import { setting } from './setting.js';

/** Where the agent works: the sandbox its commands run in, the thread workspaces, and git. */
export const workspaceSchema = {
  sandbox: {
    mode: setting({
      doc: 'How run_command is isolated: "bwrap" (bubblewrap) or "none" (no isolation; development and testing only).',
      format: oneOf(SANDBOX_MODES),
      default: 'bwrap',
      env: 'ATOLYE_SANDBOX_MODE',
    }),
    timeoutMs: setting({
      doc: 'Wall-clock limit of one sandboxed command in milliseconds; the whole sandbox is killed after it.',
      format: assertPositiveInt,
      default: 60_000,
    }),
    cpuSeconds: setting({
      doc: 'CPU seconds one sandboxed command may use (RLIMIT_CPU).',
      format: assertPositiveInt,
      default: 60,
    }),
    memoryMb: setting({
      doc: 'Address space of each sandboxed process in MiB (RLIMIT_AS).',
      format: assertPositiveInt,
      default: 1024,
    }),
    fileSizeMb: setting({
      doc: 'Largest file a sandboxed command may write, in MiB (RLIMIT_FSIZE).',
      format: assertPositiveInt,
      default: 64,
    }),
    processes: setting({
      doc: 'Processes and threads a sandboxed command may have at once (RLIMIT_NPROC in its own user namespace).',
      format: assertPositiveInt,
      default: 64,
    }),
    outputCapBytes: setting({
      doc: 'Bytes kept of each of stdout and stderr (head and tail; the middle is omitted).',
      format: assertPositiveInt,
      default: 65_536,
    }),
  },
  workspace: {
    root: setting({
      doc: 'Directory holding one workspace per thread (relative to the project root).',
      format: isString,
      default: 'data/workspaces',
      env: 'ATOLYE_WORKSPACE_ROOT',
    }),
    importMaxArchiveBytes: setting({
      doc: 'Largest folder archive (.tar.gz or .zip) a thread import accepts, in bytes as uploaded.',
      format: assertPositiveInt,
      default: 100 * 1024 * 1024,
    }),
    importMaxFiles: setting({
      doc: 'Most entries (files, folders and links) one import may hold.',
      format: assertPositiveInt,
      default: 50_000,
    }),
    importMaxBytes: setting({
      doc: 'Most bytes one import may unpack to.',
      format: assertPositiveInt,
      default: 1024 * 1024 * 1024,
    }),
    importMaxRatio: setting({
      doc: 'Highest unpacked-to-packed size ratio of an import archive (a higher one looks like a zip bomb).',
      format: assertPositiveInt,
      default: 200,
    }),
  },
  git: {
    token: setting({
      doc: 'Token for cloning private repositories and pushing branches over https; only the checkout function receives it.',
      format: isString,
      default: '',
      env: 'ATOLYE_GIT_TOKEN',
      sensitive: true,
    }),
    allowedSchemes: setting({
      doc: 'URL schemes a thread may be cloned from, comma-separated: https; file (paths on this server) and http only where that is safe (development, testing).',
      format: assertSchemes,
      default: 'https',
      env: 'ATOLYE_GIT_SCHEMES',
    }),
    allowHosts: setting({
      doc: 'Hosts (comma-separated host or host:port) a clone or push may reach on a loopback, private or link-local address; none by default, so a URL cannot reach into the private network.',
      format: isString,
      default: '',
      env: 'ATOLYE_GIT_ALLOW_HOSTS',
    }),
    tokenHosts: setting({
      doc: 'Hosts (comma-separated names) git.token is sent to; a URL naming another host gets no token.',
      format: isString,
      default: 'github.com,gitlab.com,bitbucket.org',
      env: 'ATOLYE_GIT_TOKEN_HOSTS',
    }),
    timeoutMs: setting({
      doc: 'Longest a clone or push may take, in milliseconds.',
      format: assertPositiveInt,
      default: 300_000,
    }),
  },
};

function assertSchemes(value: unknown): asserts value is string {
  const schemes = typeof value === 'string' ? value.split(',') : [value];
  if (schemes.some((scheme) => !['https', 'http', 'file'].includes(String(scheme).trim()))) {
    throw new Error('must be a comma-separated list of https, http, file');
  }
}

import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import * as z from 'zod';
import { AtolyeError } from '../errors.js';
import { ownAddresses, privateAddressReason } from '../net/private-address.js';
import {
  BASELINE_REF,
  baselineOf,
  commitTree,
  GitCommandError,
  runGit,
  updateRef,
  workspaceTree,
  type GitWorkspace,
} from './git.js';

/**
 * A thread's workspace from a git repository, and its changes back to that repository as a new
 * branch. Only the `checkout` function runs this: it alone receives the git token, so neither the
 * sandbox nor `tools` ever sees it. The token goes to git as an HTTP header through the
 * environment (never the command line, never the repository's config).
 */

export const CheckoutInput = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('clone'),
    url: z.string().min(1).max(2048),
    ref: z.string().min(1).max(256).optional(),
  }),
  z.object({
    op: z.literal('push'),
    branch: z.string().min(1).max(200),
    message: z.string().min(1).max(10_000),
  }),
]);

export const CheckoutOutput = z.object({
  /** The commit the workspace started from (clone) or the commit pushed (push). */
  commit: z.string(),
  /** clone: the ref checked out; push: the branch written. */
  ref: z.string(),
  /** The URL without credentials. */
  url: z.string(),
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
});
export type CheckoutInput = z.infer<typeof CheckoutInput>;
export type CheckoutOutput = z.infer<typeof CheckoutOutput>;

export interface RemoteOptions {
  /** `git.token`: sent as the password of https requests when the URL carries none. */
  token: string;
  /** `git.tokenHosts`, comma-separated host names: the only hosts the token is sent to. */
  tokenHosts?: string;
  /** `git.allowedSchemes`, comma-separated. */
  allowedSchemes: string;
  /** `git.allowHosts`, comma-separated host[:port]: may be reached on private addresses. */
  allowHosts?: string;
  timeoutMs: number;
  /** Resolves a host name (the system resolver by default; tests pass their own). */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** The URL as it may be shown: no user name, password or token. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

interface Remote {
  url: string;
  shown: string;
  env: Record<string, string>;
}

/**
 * Checks the URL against the allowed schemes and, for http(s), the address its host resolves to
 * (no loopback, private, link-local or own address unless `git.allowHosts` lists the host; the
 * connection is pinned to the checked address, so a second lookup cannot move it), and builds the
 * environment that carries credentials: the token only for a host `git.tokenHosts` names.
 */
export async function remoteFor(url: string, options: RemoteOptions): Promise<Remote> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AtolyeError(
      'GIT_URL_REFUSED',
      `${JSON.stringify(shownUrl(url))} is not a URL: give an https:// URL of a git repository`,
    );
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const allowed = options.allowedSchemes.split(',').map((item) => item.trim());
  if (!allowed.includes(scheme)) {
    throw new AtolyeError(
      'GIT_URL_REFUSED',
      `${JSON.stringify(shownUrl(url))} uses ${scheme}://, which this server does not clone from: use ${allowed.map((s) => `${s}://`).join(' or ')} (git.allowedSchemes)`,
    );
  }
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const shown = shownUrl(url);
  const settings: [string, string][] = [
    ['protocol.allow', 'never'],
    ...allowed.map((s): [string, string] => [`protocol.${s}.allow`, 'always']),
    ['http.followRedirects', 'false'],
    ['credential.helper', ''],
  ];
  if (scheme === 'http' || scheme === 'https') {
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const port = Number(parsed.port || (scheme === 'https' ? 443 : 80));
    const address = await checkedAddress(host, port, shown, options);
    const pinned = isIP(address) === 6 ? `[${address}]` : address;
    settings.push(['http.curloptResolve', `${host}:${port}:${pinned}`]);
  }
  const tokenHost = listed(options.tokenHosts ?? '').some((entry) => entry === parsed.hostname);
  const secret = password || (scheme === 'file' || !tokenHost ? '' : options.token);
  if (secret !== '') {
    const basic = Buffer.from(`${user || 'x-access-token'}:${secret}`).toString('base64');
    settings.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(settings.length) };
  settings.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return { url: shown, shown, env };
}

function listed(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
}

async function checkedAddress(
  host: string,
  port: number,
  shown: string,
  options: RemoteOptions,
): Promise<string> {
  const resolve =
    options.resolve ??
    (async (name: string) => (await lookup(name, { all: true })).map((entry) => entry.address));
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch (error) {
    throw new AtolyeError(
      'GIT_CLONE_FAILED',
      `the host of ${shown} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the URL`,
      { retryable: true },
    );
  }
  const allowed = listed(options.allowHosts ?? '').some(
    (entry) => entry === host.toLowerCase() || entry === `${host.toLowerCase()}:${port}`,
  );
  if (!allowed) {
    const own = ownAddresses();
    for (const address of addresses) {
      const reason =
        privateAddressReason(address) ??
        (own.has(address) ? 'an address of this server' : undefined);
      if (reason !== undefined) {
        throw new AtolyeError(
          'GIT_URL_REFUSED',
          `${shown} resolves to ${address}, ${reason}, which a clone may not reach: list the host in git.allowHosts (ATOLYE_GIT_ALLOW_HOSTS) if it is yours`,
        );
      }
    }
  }
  const first = addresses[0];
  if (first === undefined) {
    throw new AtolyeError('GIT_CLONE_FAILED', `the host of ${shown} has no address: check the URL`);
  }
  return first;
}

/**
 * Clones `url` into the thread's repository and checks `ref` (a branch, tag or commit; the remote's
 * default branch when absent) out into its empty workspace, which becomes the baseline. On failure
 * nothing is left behind.
 */
export async function cloneInto(
  ws: GitWorkspace,
  input: { url: string; ref?: string },
  options: RemoteOptions,
): Promise<CheckoutOutput> {
  const remote = await remoteFor(input.url, options);
  if ((await baselineOf(ws)) !== undefined || !(await isEmptyFolder(ws.workTree))) {
    throw new AtolyeError(
      'WORKSPACE_NOT_EMPTY',
      'this thread has a workspace already: import into a new thread',
    );
  }
  const staging: GitWorkspace = { ...ws, gitDir: `${ws.gitDir}.clone-${randomUUID()}` };
  try {
    await mkdir(ws.workTree, { recursive: true });
    await runGit(staging, ['clone', '--bare', '--quiet', '--', remote.url, staging.gitDir], {
      env: remote.env,
      workTree: false,
      noGitDir: true,
      timeoutMs: options.timeoutMs,
    }).catch((error: unknown) => {
      throw cloneFailure(error, remote.shown);
    });
    const ref = input.ref ?? 'HEAD';
    const commit = await resolveCommit(staging, ref, remote.shown);
    await rename(staging.gitDir, ws.gitDir);
    const index = `${ws.gitDir}/atolye-index`;
    await runGit(ws, ['read-tree', commit], { indexFile: index });
    await runGit(ws, ['checkout-index', '--all', '--force'], { indexFile: index });
    await updateRef(ws, BASELINE_REF, commit);
    const { files, bytes } = await treeSize(ws, commit);
    return { commit, ref, url: remote.shown, files, bytes };
  } catch (error) {
    await rm(staging.gitDir, { recursive: true, force: true });
    await rm(ws.gitDir, { recursive: true, force: true });
    await emptyFolder(ws.workTree);
    throw error;
  }
}

async function resolveCommit(ws: GitWorkspace, ref: string, shown: string): Promise<string> {
  if (ref.startsWith('-')) {
    throw new AtolyeError('GIT_REF_NOT_FOUND', `${JSON.stringify(ref)} is not a git ref`);
  }
  for (const candidate of [ref, `refs/tags/${ref}`, `refs/heads/${ref}`]) {
    try {
      const out = await runGit(ws, ['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], {
        workTree: false,
      });
      return out.toString('utf8').trim();
    } catch {
      // Try the next spelling.
    }
  }
  throw new AtolyeError(
    'GIT_REF_NOT_FOUND',
    `${JSON.stringify(ref)} is neither a branch, a tag nor a commit of ${shown}: check the ref, or leave it out for the default branch`,
  );
}

function cloneFailure(error: unknown, shown: string): AtolyeError {
  if (!(error instanceof GitCommandError)) return error as AtolyeError;
  const stderr = error.failure.stderr;
  const detail = (stderr.split('\n').findLast((line) => line.trim() !== '') ?? '')
    .replace(/^fatal: /, '')
    // git names the URL it was given; credentials never reach it, but keep to the shown form.
    .slice(0, 300);
  const auth = /Authentication failed|could not read Username|403|401/i.test(stderr);
  return new AtolyeError(
    auth ? 'GIT_AUTH_FAILED' : 'GIT_CLONE_FAILED',
    auth
      ? `cloning ${shown} was refused: the repository needs credentials; set git.token (ATOLYE_GIT_TOKEN) for the checkout function`
      : `cloning ${shown} failed: ${detail || `git exited with ${error.failure.exitCode}`}`,
    { retryable: /timed out|Could not resolve host|Connection refused|early EOF/i.test(stderr) },
  );
}

async function treeSize(
  ws: GitWorkspace,
  commit: string,
): Promise<{ files: number; bytes: number }> {
  const out = (await runGit(ws, ['ls-tree', '-r', '-l', '-z', commit], { workTree: false }))
    .toString('utf8')
    .split('\0')
    .filter((line) => line !== '');
  let bytes = 0;
  for (const line of out) {
    const size = Number(line.split(/\s+/)[3]);
    if (Number.isFinite(size)) bytes += size;
  }
  return { files: out.length, bytes };
}

/**
 * Commits the workspace's changes on top of the baseline and pushes them to a new branch of the
 * repository the thread was cloned from. An existing branch is never overwritten.
 */
export async function pushBranch(
  ws: GitWorkspace,
  input: { branch: string; message: string },
  options: RemoteOptions,
): Promise<CheckoutOutput> {
  const baseline = await baselineOf(ws);
  let origin = '';
  if (baseline !== undefined) {
    origin = (
      await runGit(ws, ['config', '--get', 'remote.origin.url'], { workTree: false }).catch(() =>
        Buffer.from(''),
      )
    )
      .toString('utf8')
      .trim();
  }
  if (origin === '') {
    throw new AtolyeError(
      'GIT_NO_ORIGIN',
      'this thread was not cloned from a git repository, so there is nowhere to push: download the patch instead',
    );
  }
  await checkBranchName(ws, input.branch);
  const remote = await remoteFor(origin, options);
  const tree = await workspaceTree(ws);
  const baseTree = (await runGit(ws, ['rev-parse', `${baseline}^{tree}`], { workTree: false }))
    .toString('utf8')
    .trim();
  if (tree === baseTree) {
    throw new AtolyeError('NOTHING_TO_PUSH', 'the workspace has no changes against its baseline');
  }
  const commit = await commitTree(ws, tree, input.message, baseline);
  await runGit(
    ws,
    [
      'push',
      '--quiet',
      '--no-verify',
      `--force-with-lease=refs/heads/${input.branch}:`,
      '--',
      remote.url,
      `${commit}:refs/heads/${input.branch}`,
    ],
    { env: remote.env, workTree: false, timeoutMs: options.timeoutMs },
  ).catch((error: unknown) => {
    if (!(error instanceof GitCommandError)) throw error;
    const stale = /stale info|already exists|rejected/i.test(error.failure.stderr);
    throw new AtolyeError(
      stale ? 'GIT_BRANCH_EXISTS' : 'GIT_PUSH_FAILED',
      stale
        ? `branch ${JSON.stringify(input.branch)} exists already on ${remote.shown}: choose a new branch name`
        : `pushing to ${remote.shown} failed: ${error.failure.stderr.split('\n').at(-1) ?? ''}`,
    );
  });
  const { files, bytes } = await treeSize(ws, commit);
  return { commit, ref: input.branch, url: remote.shown, files, bytes };
}

async function checkBranchName(ws: GitWorkspace, branch: string): Promise<void> {
  const valid =
    !branch.startsWith('-') &&
    (await runGit(ws, ['check-ref-format', `refs/heads/${branch}`], { workTree: false }).then(
      () => true,
      () => false,
    ));
  if (!valid) {
    throw new AtolyeError(
      'GIT_BRANCH_INVALID',
      `${JSON.stringify(branch)} is not a valid branch name: use letters, digits, "/", "-", "_" and ".", e.g. "atolye/fix-add"`,
    );
  }
}

async function isEmptyFolder(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return true;
  }
}

async function emptyFolder(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.map((name) => rm(`${dir}/${name}`, { recursive: true, force: true })));
}

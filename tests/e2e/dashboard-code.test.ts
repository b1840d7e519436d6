import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { capture, signedIn, startDashboardE2E, type DashboardE2E } from './dashboard-browser.js';
import { eventually } from '../helpers/eventually.js';

// The user's code in and the run's changes out, in Debian's Chromium against a real orchestrator
// and worker host: a folder archive built here starts a thread, the run's diff is drawn file by
// file, the patch downloads, and a hostile archive is refused in the API's own words. The
// scripted steps change no file, so the test changes the workspace while the run's `act` step
// waits (a "block" task's first act sleeps), between the run's start and end snapshots.

const HTML_NAME = '<img src=x onerror=alert(1)>.txt';
const HTML_CONTENT = '<script>alert(2)</script>\n';
const QUOTED_NAME = 'say "hi".txt';
const DASH_NAME = '-leading dash.txt';
const RENAMED_FROM = 'notes/old name.txt';
const RENAMED_TO = 'notes/new näme.txt';
const LONG_LINE = `# ${'a-very-long-unbroken-identifier'.repeat(12)}`;

let e2e: DashboardE2E;
let api: DashboardE2E['api'];
let page: Page;
let imported: { threadId: string; runId: string } | undefined;

beforeAll(async () => {
  e2e = await startDashboardE2E('atolye-dashboard-code-e2e-');
  ({ api, desktop: page } = e2e);
  await signedIn(page, api.url, api.key);
  await signedIn(e2e.phone, api.url, api.key);
}, 90_000);

afterAll(async () => {
  await e2e?.stop();
});

// Nothing failed that the test did not cause on purpose (those take their refusals first).
afterEach(() => {
  expect(e2e.takeProblems()).toEqual([]);
});

/** A .tar.gz written byte by byte (ustar headers), so an entry may be named anything. */
function tarGz(entries: [name: string, content: string | Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of entries) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0001750\0', 108);
    header.write('0001750\0', 116);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${Math.floor(Date.now() / 1000).toString(8)}\0`, 136);
    header.write(' '.repeat(8), 148);
    header.write('0', 156);
    header.write('ustar\0' + '00', 257);
    const sum = header.reduce((total, byte) => total + byte, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A .zip of stored (uncompressed) files, written byte by byte. */
function zip(entries: [name: string, content: string][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const nameBytes = Buffer.from(name);
    const body = Buffer.from(content);
    const common = Buffer.alloc(26);
    common.writeUInt16LE(20, 0); // version needed
    common.writeUInt16LE(0x0800, 2); // UTF-8 names
    common.writeUInt16LE(0, 4); // stored
    common.writeUInt16LE(0, 6); // time
    common.writeUInt16LE(0x21, 8); // 1980-01-01
    common.writeUInt32LE(crc32(body), 10);
    common.writeUInt32LE(body.length, 14);
    common.writeUInt32LE(body.length, 18);
    common.writeUInt16LE(nameBytes.length, 22);
    const local = Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), common, nameBytes, body]);
    // Comment length, disk, attributes (none: made on "MS-DOS", so no Unix mode), local offset.
    const rest = Buffer.alloc(14);
    rest.writeUInt32LE(offset, 10);
    const central = Buffer.concat([
      Buffer.from([0x50, 0x4b, 1, 2, 20, 0]),
      common,
      rest,
      nameBytes,
    ]);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function apiGet(route: string): Promise<Response> {
  return fetch(`${api.url}${route}`, { headers: { 'x-api-key': api.key } });
}

/** Fills the new-task form with an archive and submits it; the import's answer comes back. */
async function submitArchive(task: string, name: string, archive: Buffer) {
  await page.click('nav >> text=New task');
  await page.fill('#task', task);
  await page.selectOption('#source', 'archive');
  await page.setInputFiles('#archive', { name, mimeType: 'application/gzip', buffer: archive });
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith('/import')),
    page.click('button[type=submit]'),
  ]);
  return answer;
}

/** Waits for the run's start snapshot (its diff answers from then on), then edits the workspace. */
async function changeWorkspaceDuringRun(threadId: string, runId: string): Promise<void> {
  await eventually(
    `the start snapshot of run ${runId}`,
    async () => (await apiGet(`/threads/${threadId}/diff?run_id=${runId}`)).status === 200,
    { intervalMs: 50 },
  );
  const ws = path.join(api.workspaceRoot, threadId);
  writeFileSync(
    path.join(ws, 'app.py'),
    `def greet():\n    return 'hello'\n\n${LONG_LINE}\nprint(greet())\n`,
  );
  renameSync(path.join(ws, RENAMED_FROM), path.join(ws, RENAMED_TO));
  writeFileSync(path.join(ws, 'logo.bin'), Buffer.from([0, 1, 2, 0, 9, 9]));
  rmSync(path.join(ws, 'obsolete.txt'));
  writeFileSync(path.join(ws, HTML_NAME), HTML_CONTENT);
  writeFileSync(path.join(ws, QUOTED_NAME), 'quoted\n');
  writeFileSync(path.join(ws, DASH_NAME), 'dash\n');
  // Written after the run's end snapshot, the changes would not be the run's: say so plainly.
  const run = (await (await apiGet(`/threads/${threadId}/runs/${runId}`)).json()) as {
    status: string;
  };
  if (run.status !== 'running') {
    throw new Error(`run ${runId} was ${run.status} before the test had changed its workspace`);
  }
}

test("an archive starts a thread, and the run's diff shows each changed file as text", async () => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const archive = tarGz([
    ['app.py', "def greet():\n    return 'hi'\n\nprint(greet())\n"],
    [RENAMED_FROM, 'a line long enough to be recognised after a rename\n'.repeat(4)],
    ['logo.bin', Buffer.from([0, 1, 2, 3])],
    ['obsolete.txt', 'remove me\n'],
  ]);
  const answer = await submitArchive(
    'slow block: improve the imported code',
    'project.tgz',
    archive,
  );
  expect(answer.status()).toBe(200);
  expect(answer.request().headers()['content-type']).toBe('application/gzip');
  const result = (await answer.json()) as { files: number; bytes: number };
  expect(result.files).toBe(4);
  await page.waitForURL(/#\/run\//);
  const [, threadId = '', runId = ''] = /#\/run\/([^/]+)\/([^/?]+)/.exec(page.url()) ?? [];
  imported = { threadId, runId };
  await changeWorkspaceDuringRun(threadId, runId);

  await page.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  await page.waitForSelector('#diff .diff-file');
  await expect(page.textContent('#run-header')).resolves.toContain(
    `${result.files} files, ${result.bytes} B, from a tar.gz archive`,
  );
  const files = await page.$$eval('#diff .diff-file', (items) =>
    items.map((item) => ({
      path: item.getAttribute('data-path'),
      name: item.querySelector('.diff-name')?.textContent,
      badges: [...item.querySelectorAll('.badge')].map((badge) => badge.textContent),
      counts: item.querySelector('.diff-counts')?.textContent ?? null,
    })),
  );
  expect(files).toEqual(
    expect.arrayContaining([
      { path: 'app.py', name: 'app.py', badges: [], counts: '+2 -1' },
      { path: HTML_NAME, name: HTML_NAME, badges: ['added'], counts: '+1 -0' },
      { path: QUOTED_NAME, name: QUOTED_NAME, badges: ['added'], counts: '+1 -0' },
      { path: DASH_NAME, name: DASH_NAME, badges: ['added'], counts: '+1 -0' },
      { path: 'logo.bin', name: 'logo.bin', badges: ['binary'], counts: null },
      { path: 'obsolete.txt', name: 'obsolete.txt', badges: ['deleted'], counts: '+0 -1' },
      {
        path: RENAMED_TO,
        name: `${RENAMED_FROM} → ${RENAMED_TO}`,
        badges: ['renamed'],
        counts: '+0 -0',
      },
    ]),
  );
  expect(files).toHaveLength(7);
  const appLines = await page.$$eval('#diff [data-path="app.py"] .diff-lines > span', (spans) =>
    spans.map((span) => [span.className, span.textContent]),
  );
  expect(appLines).toEqual(
    expect.arrayContaining([
      ['line-removed', "-    return 'hi'"],
      ['line-added', "+    return 'hello'"],
      ['line-added', `+${LONG_LINE}`],
      ['line-context', ' def greet():'],
    ]),
  );
  // The HTML-like name and content are text: no element was made of them, nothing ran.
  await expect(page.textContent(`#diff [data-path="${HTML_NAME}"] .line-added`)).resolves.toBe(
    `+${HTML_CONTENT.trimEnd()}`,
  );
  expect(await page.$$('#diff img, #diff script')).toHaveLength(0);
  expect(dialogs).toEqual([]);
  await capture(page, 'run-diff');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#download-patch'),
  ]);
  expect(download.suggestedFilename()).toBe(`${threadId}-${runId}.patch`);
  const patch = readFileSync(await download.path(), 'utf8');
  // A mail for `git am`; its subject is RFC 2047-encoded (it holds "Atölye Şefi").
  expect(patch).toMatch(/^From [0-9a-f]{40} /);
  expect(patch).toContain('Subject: [PATCH] ');
  expect(patch).toContain("+    return 'hello'");
  expect(patch).toContain('GIT binary patch');
  expect(patch).toContain(`rename to ${RENAMED_TO}`);
});

test("a hostile archive is refused in the API's words, and nothing runs", async () => {
  const archive = tarGz([
    ['fine.txt', 'fine\n'],
    ['../evil.txt', 'outside the workspace\n'],
  ]);
  const answer = await submitArchive('never runs', 'evil.tar.gz', archive);
  expect(answer.status()).toBe(400);
  const { error } = (await answer.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe('IMPORT_REFUSED');
  expect(error.message).toContain('"../evil.txt"');
  await page.waitForSelector('form [role=alert]');
  await expect(page.textContent('form [role=alert]')).resolves.toBe(
    `The code was not imported: ${error.message}`,
  );
  expect(page.url()).toMatch(/#\/new$/);
  const threadId = /\/threads\/([^/]+)\/import$/.exec(answer.url())?.[1] ?? '';
  const runs = await apiGet(`/threads/${threadId}/runs`);
  expect(await runs.json()).toEqual([]);
  expect(existsSync(path.join(api.workspaceRoot, 'evil.txt'))).toBe(false);
  await capture(page, 'import-refused');
  expect(e2e.takeProblems().filter((line) => !line.startsWith('console:'))).toEqual([
    `400 ${answer.url()}`,
  ]);
});

test('a .zip archive is sent as application/zip and imported', async () => {
  const answer = await submitArchive(
    'write notes for the zipped code',
    'project.zip',
    zip([['README.md', '# zipped\n']]),
  );
  expect(answer.request().headers()['content-type']).toBe('application/zip');
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toMatchObject({
    source: { type: 'archive', format: 'zip' },
    files: 1,
  });
  await page.waitForURL(/#\/run\//);
  await page.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  await expect(page.textContent('#run-header')).resolves.toContain(
    '1 file, 9 B, from a zip archive',
  );
});

test('a git repository is asked for as JSON, and its refusal is shown as the API words it', async () => {
  await page.click('nav >> text=New task');
  await page.fill('#task', 'never runs either');
  await page.selectOption('#source', 'git');
  await page.fill('#git-url', 'https://git.invalid/owner/repository.git');
  await page.fill('#git-ref', 'main');
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.url().endsWith('/import')),
    page.click('button[type=submit]'),
  ]);
  expect(answer.request().headers()['content-type']).toBe('application/json');
  expect(answer.request().postDataJSON()).toEqual({
    git: { url: 'https://git.invalid/owner/repository.git', ref: 'main' },
  });
  // This host runs no checkout function, so the clone fails; what matters is whose words show.
  expect(answer.ok()).toBe(false);
  const { error } = (await answer.json()) as { error: { message: string } };
  await expect(page.textContent('form [role=alert]')).resolves.toBe(
    `The code was not imported: ${error.message}`,
  );
  expect(e2e.takeProblems().filter((line) => !line.startsWith('console:'))).toEqual([
    `${answer.status()} ${answer.url()}`,
  ]);
});

test('a follow-up on the thread imports nothing; a run that changed nothing says so', async () => {
  if (!imported) throw new Error('needs the run of the first test');
  await page.goto(`${api.url}/#/new?thread=${imported.threadId}`);
  await page.waitForSelector(`#thread option[value="${imported.threadId}"]:checked`, {
    state: 'attached',
  });
  expect(await page.isHidden('fieldset.source')).toBe(true);
  await page.fill('#task', 'a follow-up that changes nothing');
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/run\//);
  expect(page.url()).toContain(`#/run/${imported.threadId}/`);
  await page.waitForSelector('#run-header [data-status="success"]', { timeout: 30_000 });
  await expect(page.textContent('#diff #no-changes')).resolves.toBe('No changes.');
  expect(await page.$$('#download-patch')).toHaveLength(0);
});

test('the new-task form and the diff fit a phone', async () => {
  if (!imported) throw new Error('needs the run of the first test');
  const { phone } = e2e;
  const shots: [string, string, string][] = [
    ['new-task', '#/new', '#archive'],
    ['run-diff', `#/run/${imported.threadId}/${imported.runId}`, '#diff .diff-lines'],
  ];
  for (const [name, hash, ready] of shots) {
    await phone.goto(`${api.url}/${hash}`);
    if (name === 'new-task') await phone.selectOption('#source', 'archive');
    await phone.waitForSelector(ready);
    await capture(phone, name);
  }
  // The same form on the desktop, for the screenshot beside it.
  await page.goto(`${api.url}/#/new`);
  await page.selectOption('#source', 'archive');
  await capture(page, 'new-task');
});

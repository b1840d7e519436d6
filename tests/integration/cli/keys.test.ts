import path from 'node:path';
import { RunsStore, runsFile } from '../../../src/orchestrator/runs-store.js';
import { ApiKeyStore, apiKeysFile, type ApiKeyIdentity } from '../../../src/store/api-keys.js';
import { tempDir } from '../../helpers/tmp.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

// `atolye keys …` in this process against a real SQLite file in a temporary data directory.

let work: ReturnType<typeof tempDir>;
let dataDir: string;

beforeEach(() => {
  work = tempDir('atolye-keys-cli-');
  dataDir = path.join(work.dir, 'data');
});

afterEach(() => {
  work.cleanup();
});

const atolye = (...args: string[]): Promise<CliResult> =>
  runCli(args, { env: { ATOLYE_DATA_DIR: dataDir } });

async function verify(key: string): Promise<ApiKeyIdentity | undefined> {
  const store = ApiKeyStore.inFile(apiKeysFile(dataDir));
  try {
    return await store.verify(key);
  } finally {
    await store.close();
  }
}

describe('atolye keys', () => {
  it('create prints a working key once, saying it will not be shown again', async () => {
    const created = await atolye('keys', 'create', '--name', 'ci');
    expect(created.code).toBe(0);
    const keys = created.stdout.match(/atk_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(keys).toHaveLength(1);
    expect(created.stdout).toContain('will not be shown again');
    expect((await verify(keys[0] as string))?.name).toBe('ci');

    const listed = await atolye('keys', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(keys[0]);
    expect(listed.stdout).toContain((keys[0] as string).slice(0, 12));
  });

  it('create --json gives scripts the key and its id', async () => {
    const created = await atolye('keys', 'create', '--name', 'bot', '--json');
    expect(created.code).toBe(0);
    const parsed = JSON.parse(created.stdout) as { id: number; name: string; key: string };
    expect(parsed.name).toBe('bot');
    expect(await verify(parsed.key)).toEqual({
      id: parsed.id,
      name: 'bot',
      team: null,
      admin: false,
    });
  });

  it('create refuses a duplicate and a bad name with exit 1 and the reason', async () => {
    expect((await atolye('keys', 'create', '--name', 'ci')).code).toBe(0);
    const duplicate = await atolye('keys', 'create', '--name', 'ci');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already exists');
    expect(duplicate.stdout).not.toMatch(/atk_/);

    const bad = await atolye('keys', 'create', '--name', 'no spaces');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not valid');
  });

  it('create without --name is a usage error', async () => {
    const result = await atolye('keys', 'create');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name');
  });

  it('list shows names, prefixes and status in a table, or JSON with --json', async () => {
    expect((await atolye('keys', 'list')).stdout).toContain('no API keys yet');
    await atolye('keys', 'create', '--name', 'alpha');
    await atolye('keys', 'create', '--name', 'beta');
    expect((await atolye('keys', 'revoke', 'alpha')).code).toBe(0);

    const text = await atolye('keys', 'list');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^name\s+team\s+role\s+prefix\s+created\s+last used\s+status$/);
    expect(lines.find((line) => line.startsWith('alpha'))).toMatch(/revoked \d{4}-/);
    expect(lines.find((line) => line.startsWith('beta'))).toMatch(
      /^beta\s+-\s+user\s.*never\s+active$/,
    );

    const json = await atolye('keys', 'list', '--json');
    const parsed = JSON.parse(json.stdout) as { name: string; revokedAt: string | null }[];
    expect(parsed.map((key) => [key.name, key.revokedAt === null])).toEqual([
      ['alpha', false],
      ['beta', true],
    ]);
    expect(json.stdout).not.toMatch(/atk_[A-Za-z0-9_-]{43}/);
  });

  it('revoke turns a key off; an unknown name exits 1 with a clear message', async () => {
    const created = await atolye('keys', 'create', '--name', 'ci', '--json');
    const { key } = JSON.parse(created.stdout) as { key: string };
    const revoked = await atolye('keys', 'revoke', 'ci');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked API key "ci"');
    expect(await verify(key)).toBeUndefined();

    const again = await atolye('keys', 'revoke', 'ci');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no active API key is named "ci"');
    const unknown = await atolye('keys', 'revoke', 'ghost');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"ghost"');
  });

  it('create --team and --admin make a team member and an admin key, and say what each sees', async () => {
    const member = await atolye('keys', 'create', '--name', 'alice', '--team', 'backend');
    expect(member.code).toBe(0);
    expect(member.stdout).toContain('created API key "alice"');
    expect(member.stdout).toContain('team "backend"');
    expect(member.stdout).toContain('keys of one --team share theirs');
    const key = (member.stdout.match(/atk_[A-Za-z0-9_-]{43}/) ?? [''])[0];
    expect(await verify(key)).toMatchObject({ name: 'alice', team: 'backend', admin: false });

    const admin = await atolye('keys', 'create', '--name', 'ops', '--admin', '--json');
    const parsed = JSON.parse(admin.stdout) as { key: string; admin: boolean; team: null };
    expect(parsed).toMatchObject({ admin: true, team: null });
    expect(await verify(parsed.key)).toMatchObject({ name: 'ops', admin: true });

    const listed = (await atolye('keys', 'list')).stdout.split('\n');
    expect(listed.find((line) => line.startsWith('alice'))).toMatch(/^alice\s+backend\s+user\s/);
    expect(listed.find((line) => line.startsWith('ops'))).toMatch(/^ops\s+-\s+admin\s/);

    const bad = await atolye('keys', 'create', '--name', 'carol', '--team', 'no spaces');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('team name');
  });

  it('list points at the threads from before ownership; adopt gives them to a key or its team', async () => {
    // An orchestrator store from before ownership: two threads that no key owns.
    const runs = RunsStore.inFile(runsFile(dataDir));
    await runs.createThread('old-1');
    await runs.createThread('old-2');
    await runs.close();
    await atolye('keys', 'create', '--name', 'alice', '--team', 'backend');

    const listed = await atolye('keys', 'list');
    expect(listed.stdout).toContain('2 thread(s) from before keys had owners');
    expect(listed.stdout).toContain('there is no live admin key');
    expect(listed.stdout).toContain('atolye keys adopt NAME');

    const adopted = await atolye('keys', 'adopt', 'alice');
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain('gave 2 thread(s) without an owner to team "backend"');
    const after = RunsStore.inFile(runsFile(dataDir));
    expect((await after.thread('old-1', { owners: ['team:backend'] }))?.owner).toBe('team:backend');
    expect(await after.unownedCount()).toBe(0);
    await after.close();
    expect((await atolye('keys', 'list')).stdout).not.toContain('before keys had owners');

    const unknown = await atolye('keys', 'adopt', 'ghost');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no active API key is named "ghost"');
  });

  it('honours --set storage.dataDir', async () => {
    const other = path.join(work.dir, 'other');
    const created = await atolye(
      '--set',
      `storage.dataDir=${other}`,
      'keys',
      'create',
      '--name',
      'x',
      '--json',
    );
    expect(created.code).toBe(0);
    const store = ApiKeyStore.inFile(apiKeysFile(other));
    expect((await store.list()).map((k) => k.name)).toEqual(['x']);
    await store.close();
    expect(await verify((JSON.parse(created.stdout) as { key: string }).key)).toBeUndefined();
  });
});

import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { emptyCheckpoint } from '@langchain/langgraph';
import { AtolyeError } from '../../../src/errors.js';
import {
  checkpointerKind,
  DeferredCheckpointSaver,
  openCheckpointer,
} from '../../../src/orchestrator/checkpointer.js';
import { tempDir } from '../../helpers/tmp.js';

// The checkpointer's SQLite files in a temporary folder, and how it explains a Postgres it cannot
// reach: a closed port, a server that never answers, and one that refuses in the wire protocol.

let work: ReturnType<typeof tempDir>;
const servers: Server[] = [];
const sockets = new Set<Socket>();

beforeAll(() => {
  work = tempDir('atolye-ckpt-open-');
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  work.cleanup();
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A server that answers the startup message with a Postgres ErrorResponse carrying `code`. */
function refusing(code: string, message: string): Promise<number> {
  return listen((socket) => {
    socket.once('data', () => {
      const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
      const header = Buffer.alloc(5);
      header.write('E', 0);
      header.writeInt32BE(fields.length + 4, 1);
      socket.end(Buffer.concat([header, fields]));
    });
  });
}

async function failure(url: string, connectTimeoutMs = 2_000): Promise<AtolyeError> {
  const error = await openCheckpointer({ url, dataDir: work.dir, connectTimeoutMs }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AtolyeError);
  expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  return error as AtolyeError;
}

describe('SQLite', () => {
  it('opens checkpoints.sqlite in a new data folder, and closing twice is harmless', async () => {
    const dataDir = path.join(work.dir, 'nested', 'data');
    expect(checkpointerKind('')).toBe('sqlite');
    const opened = await openCheckpointer({ url: '', dataDir });
    expect(opened.kind).toBe('sqlite');
    expect(await opened.saver.getTuple({ configurable: { thread_id: 'none' } })).toBeUndefined();
    await opened.close();
    await opened.close();
  });

  it('names the file and the fix when the data folder cannot be made', async () => {
    const blocker = path.join(work.dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const broken = await openCheckpointer({ url: '', dataDir: path.join(blocker, 'data') }).then(
      () => undefined,
      (caught: unknown) => caught as AtolyeError,
    );
    expect(broken).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(broken?.message).toMatch(
      new RegExp(
        `^cannot open the SQLite checkpoint file ${path.join(blocker, 'data', 'checkpoints.sqlite')}: .*Check that storage\\.dataDir is writable`,
      ),
    );
  });
});

describe('Postgres URLs and failures', () => {
  it('refuses a URL of another scheme and one that does not parse', async () => {
    expect(checkpointerKind('mysql://x')).toBe('postgres');
    expect((await failure('mysql://root@db/app')).message).toBe(
      'storage.url (ATOLYE_STORAGE_URL) must be empty (SQLite files in storage.dataDir) or a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/database',
    );
    expect((await failure('postgres://u:p@host:notaport/db')).message).toMatch(
      /^storage\.url \(ATOLYE_STORAGE_URL\) is not a valid URL: /,
    );
  });

  it('a closed port: start the server or fix the host and port; the password never shows', async () => {
    const port = await listen(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const error = await failure(`postgresql://alice:s3cr%65t@127.0.0.1:${port}/shop`);
    expect(error.message).toMatch(
      new RegExp(
        `^cannot open the Postgres checkpoint store alice@127\\.0\\.0\\.1:${port}/shop \\(.*\\): nothing accepts connections there`,
      ),
    );
    expect(error.message).not.toContain('s3cr');
    expect(error.retryable).toBe(true);
  });

  it('a host name that does not resolve: fix the host', async () => {
    const error = await failure('postgres://gina@no-such-host.invalid:5432/app');
    expect(error.message).toMatch(
      /^cannot open the Postgres checkpoint store gina@no-such-host\.invalid:5432\/app \(.*\): the host name does not resolve/,
    );
  });

  it('a server that never answers: did not answer in time', async () => {
    const port = await listen(() => undefined);
    const error = await failure(`postgres://bob@127.0.0.1:${port}`, 200);
    // No database in the URL: the user's name is the database.
    expect(error.message).toMatch(
      new RegExp(
        `^cannot open the Postgres checkpoint store bob@127\\.0\\.0\\.1:${port}/bob \\(.*\\): the server did not answer in time`,
      ),
    );
  });

  it('a refused password names the user; a missing database says how to create it', async () => {
    const auth = await refusing('28P01', 'password authentication failed for user "carol"');
    const denied = await failure(`postgres://carol:pw%zz@127.0.0.1:${auth}/app`);
    expect(denied.message).toContain('the server refused user "carol"');
    expect(denied.message).not.toContain('pw%zz');

    const nodb = await refusing('3D000', 'database "ghost" does not exist');
    const missing = await failure(`postgres://dave@127.0.0.1:${nodb}/ghost`);
    expect(missing.message).toContain(
      'database "ghost" does not exist: create it (createdb ghost) or fix the database name',
    );

    const other = await refusing('53300', 'too many connections');
    const busy = await failure(`postgres://eve@127.0.0.1:${other}/app`);
    expect(busy.message).toMatch(/\(too many connections\): check that the server runs/);
  });

  it('takes user, host and port from the query, and accepts an empty host before the path', async () => {
    const port = await refusing('28000', 'no pg_hba.conf entry');
    const error = await failure(
      `postgres://ignored:pw@/app?host=127.0.0.1&port=${port}&user=frank&password=topsecret`,
    );
    expect(error.message).toMatch(
      new RegExp(`^cannot open the Postgres checkpoint store frank@127\\.0\\.0\\.1:${port}/app `),
    );
    expect(error.message).toContain('the server refused user "frank"');
    expect(error.message).not.toContain('topsecret');
  });
});

describe('DeferredCheckpointSaver', () => {
  it('opens SQLite on first use, stores and lists checkpoints, and refuses calls once closed', async () => {
    const saver = new DeferredCheckpointSaver({
      url: '',
      dataDir: path.join(work.dir, 'deferred'),
    });
    expect(saver.kind).toBe('sqlite');
    await saver.ready();
    const config = { configurable: { thread_id: 't1', checkpoint_ns: '' } };
    const stored = await saver.put(
      config,
      emptyCheckpoint(),
      { source: 'input', step: -1, parents: {} },
      {},
    );
    await saver.putWrites(stored, [['channel', 'value']], 'task-1');
    expect((await saver.getTuple(config))?.checkpoint.id).toBe(stored.configurable?.checkpoint_id);
    const listed = [];
    for await (const tuple of saver.list(config)) listed.push(tuple);
    expect(listed).toHaveLength(1);
    await saver.deleteThread('t1');
    expect(await saver.getTuple(config)).toBeUndefined();
    await saver.close();
    await expect(saver.getTuple(config)).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('tries a failed open again on the next call, and closes one that never opened', async () => {
    const blocker = path.join(work.dir, 'blocker-file');
    writeFileSync(blocker, 'x');
    const saver = new DeferredCheckpointSaver({ url: '', dataDir: path.join(blocker, 'sub') });
    await expect(saver.ready()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(saver.ready()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await saver.close();
    const never = new DeferredCheckpointSaver({ url: '', dataDir: work.dir });
    await never.close();
    await expect(never.ready()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});

import { Hono } from 'hono';
import {
  ownerOf,
  ownLogLines,
  requireAdmin,
  scopeOf,
} from '../../../src/orchestrator/api/access.js';
import {
  canonicalContentType,
  canonicalMediaType,
} from '../../../src/orchestrator/api/media-type.js';
import { allowedMethods } from '../../../src/orchestrator/api/methods.js';

// The small pieces every run API request passes through: whose threads a key sees, the
// Content-Type a route's validator reads, and the Allow header of a 405.

describe('tenancy', () => {
  const key = (name: string, team: string | null, admin = false) =>
    ({ name, team, admin }) as Parameters<typeof scopeOf>[0];

  it('a key sees its own threads, and its team’s when it has one; an admin sees all', () => {
    expect(scopeOf(key('ana', null))).toEqual({ owners: ['key:ana'] });
    expect(scopeOf(key('ana', 'blue'))).toEqual({ owners: ['key:ana', 'team:blue'] });
    expect(scopeOf(key('root', null, true))).toEqual({ all: true });
  });

  it('a thread belongs to the team of the key that creates it, or to the key alone', () => {
    expect(ownerOf(key('ana', 'blue'))).toBe('team:blue');
    expect(ownerOf(key('ana', null))).toBe('key:ana');
  });

  it('refuses a key that is not an admin key, saying how to get one', () => {
    expect(() => requireAdmin(key('ana', null), 'the system page')).toThrow(
      'the system page is shown to admin keys only (an operator creates one with `atolye keys create --name NAME --admin`)',
    );
    expect(() => requireAdmin(key('root', null, true), 'the system page')).not.toThrow();
  });
});

describe('the log lines a key that is not an admin key reads', () => {
  const asked: string[] = [];
  const lookups = {
    threadVisible: (threadId: string) => {
      asked.push(threadId);
      return Promise.resolve(threadId.startsWith('mine'));
    },
    teamMembers: (team: string) => Promise.resolve(team === 'blue' ? ['bob'] : []),
  };
  const reads = async (caller: { name: string; team: string | null }, lines: object[]) => {
    const own = await ownLogLines({ id: 1, admin: false, ...caller }, lookups);
    const shown: boolean[] = [];
    for (const line of lines) shown.push(await own(line as Record<string, unknown>));
    return shown;
  };

  beforeEach(() => {
    asked.length = 0;
  });

  it('are the lines of its threads; lines about no thread or another’s are not', async () => {
    expect(
      await reads({ name: 'ana', team: null }, [
        { threadId: 'mine-1', msg: 'step done' },
        { threadId: 'theirs', msg: 'step done' },
        { msg: 'host started' },
        { threadId: 42 },
      ]),
    ).toEqual([true, false, false, false]);
  });

  it('of request lines, only those a key of its own (or its team) made', async () => {
    const lines = [
      { threadId: 'mine-1', method: 'GET', key: 'ana' },
      { threadId: 'mine-1', method: 'GET', key: 'bob' },
      { threadId: 'mine-1', method: 'GET', key: 'eve' },
      { threadId: 'mine-1', method: 'GET' },
      { threadId: 'mine-1', key: 'eve', msg: 'a line with a key but no method' },
    ];
    expect(await reads({ name: 'ana', team: null }, lines)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(await reads({ name: 'ana', team: 'blue' }, lines)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('asks whether a thread is visible once per thread', async () => {
    await reads({ name: 'ana', team: null }, [
      { threadId: 'mine-1' },
      { threadId: 'mine-1' },
      { threadId: 'theirs' },
      { threadId: 'theirs' },
    ]);
    expect(asked).toEqual(['mine-1', 'theirs']);
  });
});

describe('Content-Type', () => {
  it.each([
    ['application/json', 'application/json'],
    ['APPLICATION/JSON', 'application/json'],
    [' Application/Json ;  Charset=UTF-8 ', 'application/json; charset=UTF-8'],
    ['application/json;charset=utf-8;;', 'application/json; charset=utf-8'],
    ['multipart/form-data; Boundary = abc', 'multipart/form-data; boundary=abc'],
    ['text/plain; FLAG', 'text/plain; flag'],
    ['', ''],
  ])('%j reads as %j', (value, canonical) => {
    expect(canonicalMediaType(value)).toBe(canonical);
  });

  it('is rewritten before a route reads it, and left as it is when already canonical', async () => {
    const app = new Hono();
    app.use(canonicalContentType);
    app.post('/echo', (c) => c.text(c.req.header('content-type') ?? '(none)'));
    const echo = async (headers: Record<string, string>) =>
      (await app.request('/echo', { method: 'POST', headers, body: '{}' })).text();
    expect(await echo({ 'content-type': 'Application/JSON; Charset=utf-8' })).toBe(
      'application/json; charset=utf-8',
    );
    expect(await echo({ 'content-type': 'application/json' })).toBe('application/json');
  });
});

describe('the methods a path allows', () => {
  const app = new Hono();
  app.use('*', async (_c, next) => next());
  app.get('/threads/:id', (c) => c.text('get'));
  app.delete('/threads/:id', (c) => c.text('delete'));
  app.patch('/threads/:id', (c) => c.text('patch'));
  app.post('/threads/:id/runs', (c) => c.text('post'));
  const allowed = allowedMethods(app);

  it('lists the routes’ methods in order, HEAD wherever GET is, and never middleware', () => {
    expect(allowed('/threads/t1')).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
    expect(allowed('/threads/t1/runs')).toEqual(['POST']);
  });

  it('is empty for a path no route knows (a 404, not a 405)', () => {
    expect(allowed('/nowhere')).toEqual([]);
  });
});

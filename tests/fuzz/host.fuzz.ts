import fc from 'fast-check';
import {
  MAX_SKEW_MS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  sign,
} from '../../src/runtime/signing.js';
import { anyJson, hostileString, oddSegment } from './arbitraries.js';
import {
  contentType,
  encodeBody,
  encoding,
  mutate,
  mutation,
  type Encoding,
  type Mutation,
} from './bodies.js';
import { valueOf } from './schema-values.js';
import { DEFAULT_BODY_LIMIT } from '../../src/runtime/host/gateway.js';
import { FUZZ_FUNCTION, type HostTarget } from './host-target.js';
import { fuzzProperty, type FuzzProperty, type FuzzSettings } from './property.js';
import { rawCase, rawWire } from './raw-cases.js';
import { answerProblem } from './tally.js';
import { healthy, sendHttp, sendRaw, type Answer, type WireRequest } from './wire.js';

/**
 * The worker host under hostile input: signed calls to `POST /fn/{name}` with inputs from the
 * function's contract (valid and mutated), bad signatures, stale and future timestamps, replayed
 * bytes and odd idempotency keys; the admin routes with odd tokens and bodies; raw HTTP.
 * Invariants: an answer within the bound, never a 5xx (the function itself never fails), the
 * host still healthy; a badly signed or replayed call never runs, a refused call never runs, and
 * an accepted one runs exactly once.
 */

const BAD_SIGNINGS = [
  'wrongSecret',
  'stale',
  'future',
  'noTimestamp',
  'noSignature',
  'badTimestamp',
  'tampered',
  'otherPath',
  'duplicateSignature',
  'upperCaseHex',
] as const;
type Signing = 'valid' | 'replay' | (typeof BAD_SIGNINGS)[number];

interface CallCase {
  method: string;
  path: string;
  input: unknown;
  inputMutation: Mutation;
  meta: unknown;
  outerMutation: Mutation;
  encoding: Encoding;
  contentType?: string;
  signing: Signing;
  idempotencyKey?: string;
  requestId?: string;
}

const meta = fc.record(
  {
    invocationId: fc.oneof(fc.uuid(), hostileString),
    requestId: fc.uuid(),
    threadId: fc.oneof(fc.uuid(), hostileString),
    runId: fc.uuid(),
    step: fc.constantFrom('plan', 'act', 'x'.repeat(201)),
    attempt: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 1.5, 1_001, -1)),
  },
  { requiredKeys: [] },
);

function callCase(target: HostTarget): fc.Arbitrary<CallCase> {
  const ctx = { resolve: () => ({}), overrides: {} };
  return fc.record({
    method: fc.oneof(
      { weight: 20, arbitrary: fc.constant('POST') },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') },
    ),
    path: fc.oneof(
      { weight: 12, arbitrary: fc.constant(`/fn/${FUZZ_FUNCTION}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '/fn/missing',
          '/fn/',
          `/fn/${FUZZ_FUNCTION}/x`,
          `/fn/${FUZZ_FUNCTION}?a=1`,
          `/fn/${FUZZ_FUNCTION.toUpperCase()}`,
        ),
      },
      { weight: 1, arbitrary: oddSegment.map((segment) => `/fn/${segment}`) },
    ),
    input: valueOf(target.inputSchema, ctx),
    inputMutation: mutation,
    meta: fc.option(meta, { nil: undefined }),
    outerMutation: fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 1, arbitrary: mutation },
    ),
    encoding,
    contentType,
    signing: fc.oneof(
      { weight: 10, arbitrary: fc.constant<Signing>('valid') },
      { weight: 2, arbitrary: fc.constant<Signing>('replay') },
      { weight: 3, arbitrary: fc.constantFrom<Signing>(...BAD_SIGNINGS) },
    ),
    idempotencyKey: fc.option(
      fc.oneof(fc.uuid(), fc.constantFrom('fixed-key', '', 'k'.repeat(300), '\u00e9\u00ff')),
      { freq: 3, nil: undefined },
    ),
    requestId: fc.option(fc.constantFrom('req-1', 'x'.repeat(500), '\u00ff', '../x'), {
      freq: 5,
      nil: undefined,
    }),
  });
}

/** The call on the wire, signed (or not) as the case says, with the clock of now. */
function signedWire(c: CallCase, target: HostTarget, limitBytes: number): WireRequest {
  const value =
    c.input === undefined && c.meta === undefined
      ? {}
      : { input: mutate(c.input, c.inputMutation), meta: c.meta };
  const body = encodeBody(mutate(value, c.outerMutation), c.encoding, limitBytes);
  const signedPath = c.path.split('?')[0] as string;
  const skew =
    c.signing === 'stale'
      ? -MAX_SKEW_MS - 60_000
      : c.signing === 'future'
        ? MAX_SKEW_MS + 60_000
        : 0;
  const now = Date.now() + skew;
  const secret = c.signing === 'wrongSecret' ? `${target.secret}-not` : target.secret;
  const signed = {
    method: 'POST',
    path: c.signing === 'otherPath' ? '/fn/other' : signedPath,
    body: c.signing === 'tampered' ? Buffer.concat([body, Buffer.from(' ')]) : body,
  };
  let signature = sign(secret, signed, now);
  if (c.signing === 'upperCaseHex') signature = `v1=${signature.slice(3).toUpperCase()}`;
  const headers: [string, string][] = [];
  if (c.contentType !== undefined) headers.push(['content-type', c.contentType]);
  if (c.signing !== 'noTimestamp')
    headers.push([TIMESTAMP_HEADER, c.signing === 'badTimestamp' ? `${now}.5` : String(now)]);
  if (c.signing !== 'noSignature') headers.push([SIGNATURE_HEADER, signature]);
  if (c.signing === 'duplicateSignature') headers.push([SIGNATURE_HEADER, 'v1=00']);
  if (c.idempotencyKey !== undefined) headers.push(['idempotency-key', c.idempotencyKey]);
  if (c.requestId !== undefined) headers.push(['x-request-id', c.requestId]);
  return { method: c.method, path: c.path, headers, body };
}

interface RouteCase {
  method: string;
  path: string;
  token: 'none' | 'wrong' | 'valid' | 'lowerCaseScheme' | 'long';
  body?: { value: unknown; encoding: Encoding };
}

const ADMIN_PATHS = [
  '/admin/deployments',
  '/admin/status',
  '/admin/rollback',
  '/admin/services/restart',
  '/admin/shutdown',
];
/** Routes a valid token may reach in a fuzz: the rest would change or stop the host. */
const SAFE_WITH_TOKEN = new Set([
  'GET /admin/deployments',
  'GET /admin/status',
  'POST /admin/deployments',
]);

const KNOWN_PATHS = new Set([...ADMIN_PATHS, '/healthz', '/readyz', '/metrics', '/']);

const routeCase: fc.Arbitrary<RouteCase> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'),
  path: fc.oneof(
    fc.constantFrom(
      ...ADMIN_PATHS,
      '/healthz',
      '/readyz',
      '/metrics',
      '/',
      '/admin',
      '/fn',
      '/admin/',
      '/healthz/',
      '/admin/../healthz',
    ),
    oddSegment.map((segment) => `/admin/${segment}`),
    oddSegment.map((segment) => `/${segment}`),
  ),
  token: fc.constantFrom('none', 'wrong', 'valid', 'valid', 'lowerCaseScheme', 'long'),
  body: fc.option(
    fc.record({
      value: fc.oneof(
        anyJson,
        fc.record({
          manifest: anyJson,
          distDir: fc.constantFrom('/nonexistent', 'relative', '', '/', '/proc/self', '\u0000'),
        }),
      ),
      encoding,
    }),
    { freq: 2, nil: undefined },
  ),
});

function routeWire(c: RouteCase, target: HostTarget): WireRequest {
  const unsafe = !SAFE_WITH_TOKEN.has(`${c.method} ${c.path}`);
  const token =
    (c.token === 'valid' || c.token === 'lowerCaseScheme') && unsafe ? 'wrong' : c.token;
  const headers: [string, string][] = [];
  if (token === 'valid') headers.push(['authorization', `Bearer ${target.adminToken}`]);
  if (token === 'lowerCaseScheme') headers.push(['authorization', `bearer   ${target.adminToken}`]);
  if (token === 'wrong') headers.push(['authorization', 'Bearer not-the-token']);
  if (token === 'long') headers.push(['authorization', `Bearer ${'t'.repeat(10_000)}`]);
  const body = c.body ? encodeBody(c.body.value, c.body.encoding, 1024 * 1024) : undefined;
  if (body) headers.push(['content-type', 'application/json']);
  return { method: c.method, path: c.path, headers, body };
}

export function hostProperties(target: HostTarget, settings: FuzzSettings): FuzzProperty[] {
  const limitBytes = DEFAULT_BODY_LIMIT;
  const calls = fuzzProperty(
    'host signed calls',
    callCase(target),
    settings,
    async (c: CallCase) => {
      const route = `${c.method} /fn/{name}`;
      const wire = signedWire(c, target, limitBytes);
      const before = target.handled();
      const first = await sendHttp(target.url, wire, settings.boundMs);
      await expectHealthy(target, settings, route, first);
      const ranFirst = target.handled() - before;
      const ok = first.status !== undefined && first.status < 300;
      if ((BAD_SIGNINGS as readonly string[]).includes(c.signing) && (ok || ranFirst > 0)) {
        throw new Error(
          `${route}: a call signed "${c.signing}" was accepted (${first.status}) or ran`,
        );
      }
      if (!ok && ranFirst > 0)
        throw new Error(`${route}: refused with ${first.status} but the function ran`);
      if (ok && !first.replayed && ranFirst !== 1) {
        throw new Error(
          `${route}: accepted with ${first.status} but the function ran ${ranFirst} times`,
        );
      }
      if (c.signing !== 'replay') return;
      // The same bytes again, signature and all: never a second run.
      const second = await sendHttp(target.url, wire, settings.boundMs);
      await expectHealthy(target, settings, `${route} (replayed)`, second);
      const ranAgain = target.handled() - before - ranFirst;
      if (
        ranAgain > 0 ||
        (second.status !== undefined && second.status < 300 && !second.replayed)
      ) {
        throw new Error(
          `${route}: a replayed call answered ${second.status} and ran ${ranAgain} times`,
        );
      }
    },
  );
  const routes = fuzzProperty('host routes', routeCase, settings, async (c: RouteCase) => {
    const route = `${c.method} ${KNOWN_PATHS.has(c.path) ? c.path : c.path.startsWith('/admin/') ? '/admin/{odd}' : '/{odd}'}`;
    const deploymentsBefore = await deployments(target);
    const answer = await sendHttp(target.url, routeWire(c, target), settings.boundMs);
    await expectHealthy(target, settings, route, answer);
    if (
      answer.status !== undefined &&
      answer.status >= 400 &&
      (await deployments(target)) !== deploymentsBefore
    ) {
      throw new Error(`${route}: refused with ${answer.status} but the deployments changed`);
    }
  });
  const raw = fuzzProperty(
    'host raw HTTP',
    rawCase({
      paths: [`/fn/${FUZZ_FUNCTION}`, '/fn/', '/admin/', '/'],
      auth: 'Authorization: Bearer not-the-token',
    }),
    settings,
    async (c) => {
      const answer = await sendRaw(target.url, rawWire(c), settings.boundMs);
      await expectHealthy(target, settings, 'raw', answer);
    },
  );
  return [calls, routes, raw];
}

/** How many deployments the host has made, by its admin API. */
async function deployments(target: HostTarget): Promise<number> {
  const response = await fetch(`${target.url}/admin/deployments`, {
    headers: { authorization: `Bearer ${target.adminToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  return ((await response.json()) as { deployments: unknown[] }).deployments.length;
}

async function expectHealthy(
  target: HostTarget,
  settings: FuzzSettings,
  route: string,
  answer: Answer,
): Promise<void> {
  settings.tally.record(`host ${route}`, answer);
  const problem = answerProblem(route, answer);
  if (problem) throw new Error(problem);
  if (!(await healthy(target.url, settings.boundMs))) {
    throw new Error(`${route}: answered ${answer.status}, then GET /healthz did not answer 200`);
  }
}

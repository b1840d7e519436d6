import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

/**
 * Requests as a hostile client sends them: node:http with raw header pairs (duplicates kept,
 * bytes above 0x7f in the path sent as they are), or bytes written straight to a socket for what
 * node:http refuses to send (NUL or spaces in the path, CR/LF in headers, odd HTTP versions).
 * Every request has a bound; no answer within it is a hang.
 */

export interface WireRequest {
  method: string;
  /** Path and query exactly as they go on the wire. */
  path: string;
  /** Header pairs in order; a name may repeat. */
  headers: [string, string][];
  body?: Buffer;
}

export interface Answer {
  /** The status code, or undefined when no answer came (see `failure`). */
  status?: number;
  /** 'timeout' when nothing came within the bound, 'closed' when the connection ended unanswered. */
  failure?: 'timeout' | 'closed';
  /** Why the connection ended, when it did. */
  detail?: string;
  /** The first bytes of the body (JSON errors are short). */
  body: string;
  contentType?: string;
  /** Set when the host answered a keyed repeat from its cache (`idempotent-replayed: true`). */
  replayed?: boolean;
}

const BODY_KEPT = 2_000;

/** Sends `req` with node:http and reads the whole answer within `boundMs` (an event stream: its head). */
export function sendHttp(baseUrl: string, req: WireRequest, boundMs: number): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise<Answer>((resolve) => {
    let settled = false;
    let status: number | undefined;
    let contentType: string | undefined;
    let body = '';
    const finish = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () =>
        finish({
          status,
          failure: 'timeout',
          detail: status === undefined ? 'no answer' : 'the body was still coming',
          body,
          contentType,
        }),
      boundMs,
    );
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: framed(req, url.host).flat(),
        agent: false,
      },
      (incoming) => {
        status = incoming.statusCode;
        contentType = incoming.headers['content-type'];
        const replayed = incoming.headers['idempotent-replayed'] === 'true';
        // A stream answers with its head at once and runs on: the head is the answer.
        if (contentType?.startsWith('text/event-stream')) {
          finish({ status, body, contentType });
          return;
        }
        incoming.on('data', (chunk: Buffer) => {
          if (body.length < BODY_KEPT)
            body += chunk.toString('utf8').slice(0, BODY_KEPT - body.length);
        });
        incoming.on('end', () => finish({ status, body, contentType, replayed }));
        incoming.on('error', (error) =>
          finish({ status, body, contentType, detail: error.message }),
        );
      },
    );
    outgoing.on('error', (error) => {
      // A server may answer (413) and close before the whole body went out: the answer counts.
      finish({
        status,
        failure: status === undefined ? 'closed' : undefined,
        detail: error.message,
        body,
        contentType,
      });
    });
    outgoing.end(req.body);
  });
}

/**
 * Raw pairs keep duplicates, but Node then adds neither Host nor Content-Length of its own (and
 * sends a DELETE's body unframed): both are added here unless the request sets them.
 */
function framed(req: WireRequest, host: string): [string, string][] {
  const has = (name: string): boolean =>
    req.headers.some(([given]) => given.toLowerCase() === name);
  const headers = has('host')
    ? [...req.headers]
    : [['host', host] as [string, string], ...req.headers];
  if (req.body && !has('content-length') && !has('transfer-encoding')) {
    headers.push(['content-length', String(req.body.length)]);
  }
  return headers;
}

/** Writes `bytes` to a socket and waits for the status line of the answer, within `boundMs`. */
export function sendRaw(baseUrl: string, bytes: Buffer, boundMs: number): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise<Answer>((resolve) => {
    let settled = false;
    let received = Buffer.alloc(0);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const finish = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const fromReceived = (): Answer | undefined => {
      const text = received.toString('latin1');
      const head = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!head) return undefined;
      const end = text.indexOf('\r\n\r\n');
      return {
        status: Number(head[1]),
        body: end === -1 ? '' : text.slice(end + 4, end + 4 + BODY_KEPT),
      };
    };
    const timer = setTimeout(
      () => finish(fromReceived() ?? { failure: 'timeout', body: '' }),
      boundMs,
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const answer = fromReceived();
      // The head and some of the body are enough: the status is what the invariants look at.
      if (answer && (received.includes('\r\n\r\n') || received.length > 16_384)) finish(answer);
    });
    socket.on('end', () =>
      finish(fromReceived() ?? { failure: 'closed', detail: 'ended', body: '' }),
    );
    socket.on('close', () =>
      finish(fromReceived() ?? { failure: 'closed', detail: 'closed', body: '' }),
    );
    socket.on('error', (error) =>
      finish(fromReceived() ?? { failure: 'closed', detail: error.message, body: '' }),
    );
    socket.write(bytes);
  });
}

/** GET /healthz answers 200 within the bound: the server is still up and serving. */
export async function healthy(baseUrl: string, boundMs: number): Promise<boolean> {
  const answer = await sendHttp(baseUrl, { method: 'GET', path: '/healthz', headers: [] }, boundMs);
  return answer.status === 200;
}

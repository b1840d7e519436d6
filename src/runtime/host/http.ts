import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode, type ErrorStatus } from '../../error-codes/index.js';
import { AtolyeError } from '../../errors.js';
import { acceptedRequestId } from '../../logging/request-id.js';

/**
 * A refusal of the gateway's, answered with its code's status from the catalogue and the wire
 * error body, plus headers of its own (`Allow`, `Retry-After`, `Connection: close`).
 */
export class HttpError extends AtolyeError {
  readonly status: ErrorStatus;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; headers?: Record<string, string> } = {},
  ) {
    super(code, message, { retryable: options.retryable });
    this.name = 'HttpError';
    this.status = ERROR_CODES[code].status;
    this.headers = options.headers ?? {};
  }
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export function errorBody(code: string, message: string, retryable: boolean): string {
  return JSON.stringify({ error: { code, message, retryable } });
}

/** Reads a request body up to `limitBytes`; a longer one is a 413 before it is buffered whole. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = (): HttpError =>
    new HttpError('BODY_TOO_LARGE', `request body exceeds the limit of ${limitBytes} bytes`, {
      headers: { connection: 'close' },
    });
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)),
    );
    req.once('error', (error) =>
      reject(new HttpError('BODY_UNREADABLE', `request body could not be read: ${error.message}`)),
    );
  });
}

/** Writes a complete reply in one go (the fast path: one writeHead, one end). */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, headers);
  res.end(body);
}

/** The request id a caller sent, when it is a sane token (the run API's rule); undefined otherwise. */
export function givenRequestId(req: IncomingMessage): string | undefined {
  return acceptedRequestId(req.headers['x-request-id']);
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { signatureHeaders } from '../../src/runtime/signing.js';

/**
 * The lean client: one `http.request` per call over a keep-alive Agent, carrying what the invoke
 * client sends (JSON `{ input, meta }`, request id, idempotency key, signature) and nothing else.
 */
/** A call that takes longer fails, so no benchmark loop can hang on a stalled server. */
const CALL_TIMEOUT_MS = 10_000;

export function signedPost(
  agent: http.Agent,
  port: number,
  fnPath: string,
  input: unknown,
  secret: string | undefined,
): Promise<number> {
  const invocationId = randomUUID();
  const body = JSON.stringify({ input, meta: { invocationId, attempt: 1 } });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': invocationId,
    'idempotency-key': invocationId,
  };
  if (secret !== undefined)
    Object.assign(headers, signatureHeaders(secret, { method: 'POST', path: fnPath, body }));
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: '127.0.0.1', port, method: 'POST', path: fnPath, headers },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.setTimeout(CALL_TIMEOUT_MS, () =>
      request.destroy(new Error(`no reply from ${fnPath} within ${CALL_TIMEOUT_MS} ms`)),
    );
    request.end(body);
  });
}

import { signatureHeaders } from '../../src/runtime/signing.js';

export interface SignedCallOptions {
  secret: string;
  /** Extra headers (idempotency-key, x-request-id, …); they win over the computed ones. */
  headers?: Record<string, string>;
  /** Sign as if at this time (ms since the epoch), e.g. to send a stale signature. */
  signedAt?: number;
  /** Send this body text instead of JSON.stringify(body). */
  rawBody?: string;
}

export interface CallReply {
  status: number;
  headers: Headers;
  /** The JSON body, or the text when it is not JSON. */
  body: unknown;
}

/** POSTs a signed call to `<baseUrl>/fn/<name>` with fetch, as the invoke client would. */
export async function signedCall(
  baseUrl: string,
  name: string,
  body: unknown,
  options: SignedCallOptions,
): Promise<CallReply> {
  const path = `/fn/${name}`;
  const text = options.rawBody ?? JSON.stringify(body);
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signatureHeaders(options.secret, { method: 'POST', path, body: text }, options.signedAt),
      ...options.headers,
    },
    body: text,
  });
  const raw = await response.text();
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // Not JSON: keep the text for the assertion message.
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

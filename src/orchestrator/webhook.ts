import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { AtolyeError, errorMessage } from '../errors.js';
import type { ChannelLogger } from '../logging/index.js';
import type { WebhookPolicy, WebhookTarget } from './webhook-policy.js';

/** Tries this many times, waiting `RETRY_MS × attempt` between, before giving up on a webhook. */
const ATTEMPTS = 3;
const RETRY_MS = 500;
const TIMEOUT_MS = 10_000;

/**
 * POSTs `body` (the ended run) to the run's webhook URL. A receiver that is down or answers
 * non-2xx is retried, then logged as an error: it never changes the run's outcome. A redirect is
 * never followed (nor retried). With a `policy` (a client's URL) the host is resolved and checked
 * again before each attempt, and the connection goes to the address that was checked, so a name
 * that now resolves into the private network is refused (DNS rebinding); without one (an
 * operator's URL, such as alerts.webhookUrl) the system resolver is used as it is.
 */
export async function deliverWebhook(
  url: string,
  body: unknown,
  logger: ChannelLogger,
  policy?: WebhookPolicy,
): Promise<boolean> {
  const payload = JSON.stringify(body);
  let problem = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    try {
      const target = policy ? await policy.check(url) : undefined;
      const status = await post(new URL(url), payload, target);
      if (status.code >= 200 && status.code < 300) {
        logger.info('webhook delivered', { url: redactUrl(url), status: status.code, attempt });
        return true;
      }
      if (status.code >= 300 && status.code < 400) {
        logger.error(
          `webhook not delivered: the receiver redirected (HTTP ${status.code}${status.location ? ` to ${redactUrl(status.location, url)}` : ''}); redirects are not followed`,
          { url: redactUrl(url) },
        );
        return false;
      }
      problem = `HTTP ${status.code}`;
    } catch (error) {
      if (error instanceof AtolyeError && error.code === 'WEBHOOK_REFUSED' && !error.retryable) {
        logger.error(`webhook not delivered: ${error.message}`, { url: redactUrl(url) });
        return false;
      }
      problem = errorMessage(error);
    }
    if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
  }
  logger.error(`webhook not delivered after ${ATTEMPTS} attempts: ${problem}`, {
    url: redactUrl(url),
  });
  return false;
}

/** One POST on a fresh connection (no pooled socket from an earlier address); its status. */
function post(
  url: URL,
  payload: string,
  target: WebhookTarget | undefined,
): Promise<{ code: number; location?: string }> {
  const options: RequestOptions = {
    method: 'POST',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    auth:
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'user-agent': 'atolye-webhook',
    },
    agent: false,
    signal: AbortSignal.timeout(TIMEOUT_MS),
    lookup: target ? pinned(target) : undefined,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(options, (res: IncomingMessage) => {
      res.resume();
      res.once('end', () => resolve({ code: res.statusCode ?? 0, location: res.headers.location }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(payload);
  });
}

/** A `lookup` that answers the address the policy checked, whatever DNS says by now. */
function pinned(target: WebhookTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(null, [{ address: target.address, family: target.family }]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}

/** The receiver's URL without credentials or query string, which often carry a token. */
function redactUrl(url: string, base?: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    return '(not a URL)';
  }
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  return parsed.toString();
}

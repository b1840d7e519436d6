import { errorMessage } from '../errors.js';
import { log } from '../logging/index.js';

/** Tries this many times, waiting `RETRY_MS × attempt` between, before giving up on a webhook. */
const ATTEMPTS = 3;
const RETRY_MS = 500;
const TIMEOUT_MS = 10_000;

/**
 * POSTs `body` (the ended run) to the run's webhook URL. A receiver that is down or answers
 * non-2xx is retried, then logged as an error: it never changes the run's outcome.
 */
export async function deliverWebhook(
  url: string,
  body: unknown,
  logger = log('system'),
): Promise<boolean> {
  let problem = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'atolye-webhook' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) {
        logger.info('webhook delivered', { url: redactUrl(url), status: response.status, attempt });
        return true;
      }
      problem = `HTTP ${response.status}`;
    } catch (error) {
      problem = errorMessage(error);
    }
    if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_MS * attempt));
  }
  logger.error(`webhook not delivered after ${ATTEMPTS} attempts: ${problem}`, {
    url: redactUrl(url),
  });
  return false;
}

/** The receiver's URL without its query string, which often carries a token. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  return parsed.toString();
}

import type { ErrorCode } from '../../error-codes/index.js';
import { AtolyeError, errorMessage, isAtolyeError } from '../../errors.js';
import { serverRefusesRetry } from './retry.js';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorShape {
  status?: unknown;
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * Turns whatever the model client threw into an AtolyeError with a stable code. Checked by shape
 * (status, code, name, message), never `instanceof`: under jest and in workers errors come from
 * another realm.
 */
export function classifyModelError(error: unknown): AtolyeError {
  if (isAtolyeError(error)) return error;
  const chain = causes(error);
  const detail = errorMessage(error);
  const status = chain.map((shape) => shape.status).find((value) => typeof value === 'number');
  const codes = chain.map((shape) => shape.code).filter((value) => typeof value === 'string');
  const names = chain.map((shape) => shape.name).filter((value) => typeof value === 'string');
  const text = chain.map((shape) => errorMessage(shape)).join(' | ');
  // `x-should-retry: false` is the server saying another try cannot help, whatever the status.
  const refused = serverRefusesRetry(error);
  const make = (code: ErrorCode, message: string, retryable = false): AtolyeError =>
    new AtolyeError(code, `${message} (${detail})`, {
      retryable: retryable && !refused,
      cause: error,
    });

  if (status === 401 || status === 403) {
    return make(
      'MODEL_KEY_REJECTED',
      'The model server rejected the API key: check OPENAI_API_KEY (model.apiKey) for this server',
    );
  }
  if (status === 429) {
    return make(
      'MODEL_RATE_LIMITED',
      'The model server is rate limiting or out of quota: wait and retry, or raise the limit',
      true,
    );
  }
  if (
    status === 408 ||
    names.some((name) => name === 'TimeoutError' || name === 'APIConnectionTimeoutError') ||
    codes.includes('ETIMEDOUT') ||
    /timed? ?out/i.test(text)
  ) {
    return make(
      'MODEL_TIMEOUT',
      'The model server did not answer in time: retry, or raise model.timeoutMs',
      true,
    );
  }
  if (
    codes.some((code) => UNREACHABLE_CODES.has(code)) ||
    names.includes('APIConnectionError') ||
    /fetch failed|connection error|ECONNREFUSED|ENOTFOUND/i.test(text)
  ) {
    return make(
      'MODEL_UNREACHABLE',
      'Cannot reach the model server: check OPENAI_BASE_URL (model.baseUrl) and that the server runs',
      true,
    );
  }
  if (
    status === undefined &&
    (names.includes('SyntaxError') ||
      /JSON|Cannot read propert|is not iterable|undefined is not|unexpected (shape|response)/i.test(
        text,
      ))
  ) {
    return make(
      'MODEL_BAD_REPLY',
      'The model server sent a reply that is not an OpenAI chat completion: check that model.baseUrl names an OpenAI-compatible /v1 endpoint',
    );
  }
  const retryable = typeof status === 'number' && status >= 500;
  return make(
    'MODEL_ERROR',
    typeof status === 'number' ? `The model server answered ${status}` : 'The model call failed',
    retryable,
  );
}

/** The error and its causes, outermost first (bounded: a cause chain may loop). */
function causes(error: unknown): ErrorShape[] {
  const chain: ErrorShape[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && chain.length < 5) {
    chain.push(current as ErrorShape);
    current = (current as ErrorShape).cause;
  }
  return chain;
}

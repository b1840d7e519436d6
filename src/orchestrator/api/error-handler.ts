import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isErrorCode } from '../../error-codes/index.js';
import { errorMessage, isAtolyeError } from '../../errors.js';
import type { ChannelLogger } from '../../logging/index.js';
import { errorResponse } from './respond.js';

/**
 * The run API's answer to an error a route threw, by the catalogue: an error whose code it holds
 * gets that code's status; Hono's own refusals are a 400 BODY_INVALID_JSON (its validator's
 * "Malformed JSON in request body", the only 400 it throws here) or a 415; anything else, another
 * HTTPException included, is a 500 INTERNAL. A 5xx is also logged at error level with the error
 * and its stack, for the `errors` channel and Sentry; a refusal is only in the request's line.
 */
export function answerError(interactions: ChannelLogger): ErrorHandler {
  return (error, c) => {
    if (error instanceof HTTPException && error.status === 400) {
      return errorResponse(
        c,
        'BODY_INVALID_JSON',
        `${error.message}: send the body as JSON with content-type application/json`,
      );
    }
    if (error instanceof HTTPException && error.status === 415) {
      return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', error.message);
    }
    const answer =
      isAtolyeError(error) && isErrorCode(error.code)
        ? errorResponse(c, error.code, error.message, error.retryable)
        : errorResponse(c, 'INTERNAL', `the request failed: ${errorMessage(error)}`);
    if (answer.status >= 500) {
      interactions.error(`request failed: ${errorMessage(error)}`, {
        err: error,
        route: c.req.routePath,
      });
    }
    return answer;
  };
}

import type * as z from 'zod';
import { ErrorBody } from '../schemas.js';

/** A JSON request or response body in a route declaration. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

/** Every error answer: `{ error: { code, message, retryable } }`. */
export const failed = json(ErrorBody, 'error');

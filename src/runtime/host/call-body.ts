import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../json-depth.js';
import type { CallMeta } from '../contract.js';
import { HttpError } from './http.js';

/** The body of `POST /fn/{name}`: `{ input, meta }`. */
export interface CallBody {
  input: unknown;
  meta: CallMeta;
}

const META_STRINGS = ['invocationId', 'requestId', 'threadId', 'runId', 'step'] as const;
const MAX_ID_CHARS = 200;

/**
 * Reads a call body, naming every bad field in one 400. Written by hand rather than with zod:
 * it runs on every call and the shape is small and fixed.
 */
export function parseCallBody(body: Buffer): CallBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(
      'BODY_INVALID_JSON',
      `invalid call: (body): not JSON (${(error as Error).message})`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(
      'BODY_INVALID_JSON',
      'invalid call: (body): must be a JSON object { input, meta }',
    );
  }
  const problems: string[] = [];
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'input' && key !== 'meta')
      problems.push(`${key}: unknown field (the body is { input, meta })`);
  }
  if (!('input' in record))
    problems.push('input: required (send null for a function without input)');
  const meta = parseMeta(record.meta, problems);
  if (problems.length > 0) throw invalid(problems);
  // The input goes on to a worker over IPC, whose serialisation recurses: a deep value would
  // overflow the host's stack there. Only `input` is forwarded; meta holds flat strings.
  if (nestsDeeperThan(record.input, MAX_JSON_DEPTH)) {
    throw new HttpError(
      'INPUT_TOO_DEEP',
      `input nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, the host's limit; send flatter data`,
    );
  }
  return { input: record.input, meta };
}

function parseMeta(value: unknown, problems: string[]): CallMeta {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('meta: must be an object');
    return {};
  }
  const given = value as Record<string, unknown>;
  const meta: CallMeta = {};
  for (const key of Object.keys(given)) {
    const field = given[key];
    if ((META_STRINGS as readonly string[]).includes(key)) {
      if (field === undefined || field === null) continue;
      if (typeof field !== 'string' || field.length === 0 || field.length > MAX_ID_CHARS) {
        problems.push(`meta.${key}: must be a string of 1 to ${MAX_ID_CHARS} characters`);
      } else {
        meta[key as (typeof META_STRINGS)[number]] = field;
      }
    } else if (key === 'attempt') {
      if (typeof field !== 'number' || !Number.isInteger(field) || field < 1 || field > 1_000) {
        problems.push('meta.attempt: must be an integer from 1 to 1000');
      } else {
        meta.attempt = field;
      }
    } else {
      problems.push(`meta.${key}: unknown field`);
    }
  }
  return meta;
}

function invalid(problems: string[]): HttpError {
  return new HttpError('INVALID_REQUEST', `invalid call: ${problems.join('; ')}`);
}

import type { Check } from './setting.js';

/**
 * Value checks shared by the configuration schema's parts: each is a key's `format`, asserting the
 * type of its value, and throws an Error whose message says the form expected.
 */

export function isString(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new Error('must be of type String');
}

export function isBoolean(value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new Error('must be of type Boolean');
}

export function isNumber(value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error('must be of type Number');
}

/** A TCP port; 0 asks for any free one. */
export function isPort(value: unknown): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535) {
    throw new Error('ports must be within range 0 - 65535');
  }
}

/** A whole number of 0 or more. */
export function isNatural(value: unknown): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new Error('must be a positive integer');
  }
}

/** One of a fixed list of strings; the key's type is their union. */
export function oneOf<const V extends readonly string[]>(values: V): Check<V[number]> {
  return (value) => {
    if (!values.includes(value as string)) {
      throw new Error(`must be one of the possible values: ${JSON.stringify(values)}`);
    }
  };
}

export function assertPositiveInt(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number');
  }
}

/** At least `min` (a whole number). */
export function assertAtLeast(value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`must be a whole number of at least ${min}`);
  }
}

/** The check of a whole number of at least `min`. */
export function atLeast(min: number): Check<number> {
  return (value) => assertAtLeast(value, min);
}

/** One http(s) base URL or several separated by commas; empty for the default. */
export function assertHostUrls(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new Error('must be a string');
  if (value.trim() === '') return;
  for (const part of value.split(',')) {
    const url = part.trim();
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new Error(
        `"${url}" is not an http(s) URL: give base URLs such as http://10.0.0.5:8787, separated by commas`,
      );
    }
  }
}

import type { MiddlewareHandler } from 'hono';

/**
 * Rewrites the request's Content-Type into its canonical form (type, subtype and parameter names
 * in lower case, `; ` between parameters). Media types are case-insensitive (RFC 9110 §8.3.1),
 * but Hono's validator reads a JSON body only when the header matches a lower-case pattern and
 * otherwise validates `{}`: an `APPLICATION/JSON` body would be dropped without a word.
 */
export const canonicalContentType: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type');
  if (type !== undefined) {
    const canonical = canonicalMediaType(type);
    if (canonical !== type) c.req.raw.headers.set('content-type', canonical);
  }
  await next();
};

export function canonicalMediaType(value: string): string {
  const [essence = '', ...parameters] = value.split(';');
  const canonical = parameters
    .map((parameter) => parameter.trim())
    .filter((parameter) => parameter !== '')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      if (equals === -1) return parameter.toLowerCase();
      return `${parameter.slice(0, equals).trim().toLowerCase()}=${parameter.slice(equals + 1).trim()}`;
    });
  return [essence.trim().toLowerCase(), ...canonical].join('; ');
}

/**
 * The fixed choices and the value shapes of some configuration keys. Apart from the schema, which
 * builds on them, so that the schema's modules and the types derived from it import nothing back.
 */

export const ENVIRONMENTS = ['development', 'production', 'testing'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export const SANDBOX_MODES = ['bwrap', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** The price of one model, in USD per million tokens. */
export interface ModelPrice {
  model: string;
  inputPerMTok: number;
  outputPerMTok: number;
}

/**
 * A list rather than a name → price object: convict splits keys at dots, so an object could not
 * hold names such as "gpt-4.1".
 */
export type PriceTable = ModelPrice[];

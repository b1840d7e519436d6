/**
 * One key of the configuration schema, typed by the value it holds: its `format` asserts that
 * type, and the configuration's type is derived from the schema (`ConfigOf`), never written twice.
 */

/** Throws an Error saying the form a value must have; returns for a value of type T. */
export type Check<T> = (value: unknown) => asserts value is T;

/**
 * A convict schema entry. A type alias rather than an interface, so that it fits convict's
 * `SchemaObj` (an interface would lack its index signature).
 */
export type Setting<T> = {
  /** What the key does and the form of its value: the "Expected:" of every error about it. */
  readonly doc: string;
  /** The key's check; also convict's format, which coerces a string by the type of `default`. */
  readonly format: Check<T>;
  /** Of the type `format` asserts (NoInfer: the format alone decides the type). */
  readonly default: NoInfer<T>;
  /** The environment variable that sets the key. */
  readonly env?: string;
  /** Masked in every printout and redacted from every log line. */
  readonly sensitive?: boolean;
};

/** A key whose type is the one its `format` asserts; a default of another type does not compile. */
export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

/** The values a schema (sections of settings) describes: each key has the type its format asserts. */
export type ConfigOf<S> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ConfigOf<S[K]>;
};

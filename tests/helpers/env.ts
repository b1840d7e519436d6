/**
 * For code that reads process.env itself and takes no environment of its own (the CLI takes
 * one: pass `env` to runCli instead). A value of undefined removes the variable.
 */
export type EnvChanges = Record<string, string | undefined>;

/** Sets `changes` in process.env; the function returned puts every variable back as it was. */
export function overrideEnv(changes: EnvChanges): () => void {
  const saved = Object.keys(changes).map((name) => [name, process.env[name]] as const);
  apply(changes);
  return () => apply(Object.fromEntries(saved));
}

/**
 * Runs `fn` with `changes` in process.env and puts them back however it ends: when it returns,
 * or when the promise it returns settles.
 */
export function withEnv<T>(changes: EnvChanges, fn: () => T): T {
  const restore = overrideEnv(changes);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

function apply(values: EnvChanges): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

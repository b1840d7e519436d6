import { errorMessage } from '../../errors.js';

export type WorkerSettings =
  { ok: true; settings: Readonly<Record<string, unknown>> } | { ok: false; problem: string };

/**
 * The settings the host passed in SETTINGS_ENV, checked against what the function declares: a
 * declared path without a value means the host and the bundle disagree, and the worker must not
 * start rather than fail later with `undefined`.
 */
export function workerSettings(
  name: string,
  declared: readonly string[],
  text: string | undefined,
): WorkerSettings {
  let values: unknown;
  try {
    values = JSON.parse(text ?? '{}');
  } catch (error) {
    return { ok: false, problem: `${name}: its settings are not JSON: ${errorMessage(error)}` };
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    return { ok: false, problem: `${name}: its settings must be a JSON object` };
  }
  const missing = declared.filter((path) => valueAt(values, path) === undefined);
  if (missing.length > 0) {
    return {
      ok: false,
      problem: `${name}: the host gave no value for the declared setting(s) ${missing.join(', ')}; deploy it with a host of the same release`,
    };
  }
  return { ok: true, settings: deepFreeze(values as Record<string, unknown>) };
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Shared by every call of the worker: one handler must not change what the next one sees. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Set to `true` in the ahead-of-time build (src/cli/build.ts); undeclared when the CLI runs from
 * its TypeScript source (Jest, tsx), where TypeScript imports work already.
 */
declare const ATOLYE_BUILT_CLI: boolean | undefined;

let registered: Promise<void> | undefined;

/**
 * Lets this process import TypeScript. The build checks each function's declaration by importing
 * its source (runtime/bundle/declaration.ts); the CLI itself is plain JavaScript and never needs
 * it, so only the commands that build functions register tsx, once.
 */
export function registerTypeScript(): Promise<void> {
  if (typeof ATOLYE_BUILT_CLI === 'undefined') return Promise.resolve();
  registered ??= import('tsx/esm/api').then(({ register }) => void register());
  return registered;
}

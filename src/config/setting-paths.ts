import type { AtolyeConfig } from './types.js';

/**
 * The keys that hold secrets. A function never receives them as settings: it declares their
 * environment variables in `secrets` instead. Kept equal to the schema's `sensitive` keys by a
 * test; written out here so the types below can leave them out.
 */
export const SECRET_SETTINGS = [
  'sentry.dsn',
  'security.signingSecret',
  'security.adminToken',
  'api.key',
  'alerts.webhookUrl',
  'storage.url',
  'git.token',
  'model.apiKey',
] as const;
export type SecretSetting = (typeof SECRET_SETTINGS)[number];

type Leaf = string | number | boolean | readonly unknown[];

/** Every dotted path of a section and of each key under it: "sandbox", "sandbox.mode", … */
type PathsOf<T, Prefix extends string> = {
  [K in keyof T & string]: T[K] extends Leaf
    ? `${Prefix}${K}`
    : `${Prefix}${K}` | PathsOf<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

/** A section or key of the configuration a function may declare in `settings`. */
export type SettingPath = Exclude<PathsOf<AtolyeConfig, ''>, SecretSetting>;

/** The configuration without its secret keys: what settings can hold. */
type WithoutSecrets<T, Secret extends string> = {
  [K in keyof T & string as K extends Secret ? never : K]: T[K] extends Leaf
    ? T[K]
    : WithoutSecrets<T[K], Secret extends `${K}.${infer Rest}` ? Rest : never>;
};
export type PublicConfig = WithoutSecrets<AtolyeConfig, SecretSetting>;

/** The part of the configuration one path selects, nested as in the configuration. */
type AtPath<T, P extends string> = P extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? { readonly [K in Head]: AtPath<T[Head], Rest> }
    : never
  : P extends keyof T
    ? { readonly [K in P]: T[P] }
    : never;

type Intersection<U> = (U extends unknown ? (value: U) => void : never) extends (
  value: infer I,
) => void
  ? I
  : never;

/**
 * The settings a function receives for the paths it declares: `Settings<'workspace.root' |
 * 'sandbox'>` is `{ workspace: { root: string }; sandbox: { mode; timeoutMs; … } }`.
 */
export type Settings<P extends string> = [P] extends [never]
  ? Record<never, never>
  : Intersection<P extends SettingPath ? AtPath<PublicConfig, P> : never>;

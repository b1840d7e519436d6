import type { ApprovalPolicy } from '../../../src/config/approval.js';
import { isPort, isString, oneOf } from '../../../src/config/formats.js';
import { readKey, SCHEMA_LEAVES } from '../../../src/config/leaves.js';
import { loadConfig } from '../../../src/config/load.js';
import { setting, type ConfigOf, type Setting } from '../../../src/config/setting.js';
import type {
  AtolyeConfig,
  Environment,
  PriceTable,
  SandboxMode,
} from '../../../src/config/types.js';
import { tempDir } from '../../helpers/tmp.js';

// The configuration's type is derived from the schema, so the two cannot drift. The type-level
// half of this file is checked by `npm run typecheck`: a false `assertType` or an unused
// `@ts-expect-error` fails it.

/** True when A and B are the same type, not merely assignable one way. */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when given `true`. */
function assertType<T extends true>(): T | undefined {
  return undefined;
}

describe('the configuration type', () => {
  it('is each setting’s format type, nested as the schema’s sections', () => {
    type Derived = ConfigOf<{
      port: Setting<number>;
      web: { level: Setting<'low' | 'high'>; hosts: Setting<string[]> };
    }>;
    assertType<Equal<Derived, { port: number; web: { level: 'low' | 'high'; hosts: string[] } }>>();

    assertType<Equal<AtolyeConfig['env'], Environment>>();
    assertType<Equal<AtolyeConfig['logging']['level'], 'error' | 'warn' | 'info' | 'debug'>>();
    assertType<Equal<AtolyeConfig['sandbox']['mode'], SandboxMode>>();
    assertType<Equal<AtolyeConfig['agent']['approval'], ApprovalPolicy>>();
    assertType<Equal<AtolyeConfig['host']['port'], number>>();
    assertType<Equal<AtolyeConfig['host']['url'], string>>();
    assertType<Equal<AtolyeConfig['orchestrator'], { leaseMs: number; pollMs: number }>>();
    assertType<Equal<AtolyeConfig['logging']['console'], boolean>>();
    assertType<Equal<AtolyeConfig['agent']['riskyCommands'], string[]>>();
    assertType<Equal<AtolyeConfig['model']['prices'], PriceTable>>();

    // @ts-expect-error an environment outside the schema's list
    const staging: AtolyeConfig['env'] = 'staging';
    // @ts-expect-error a key the schema does not have
    type Missing = AtolyeConfig['host']['prot'];
    // @ts-expect-error a default of another type than its format asserts
    setting({ doc: 'port', format: isPort, default: '8080' });
    // @ts-expect-error a default outside the format's choices
    setting({ doc: 'level', format: oneOf(['low', 'high']), default: 'medium' });

    const fine = setting({ doc: 'name', format: isString, default: 'x' });
    assertType<Equal<typeof fine, Setting<string>>>();
    expect([staging, fine.default]).toEqual(['staging', 'x']);
    expect(undefined as Missing).toBeUndefined();
  });
});

describe('the loaded configuration', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const kind = (value: unknown) => (Array.isArray(value) ? 'array' : typeof value);
  const leaves = Object.entries(SCHEMA_LEAVES);

  it('holds every schema key, and only those, with its default and that default’s type', () => {
    const { config } = loadConfig({ configDir: dir, environ: {} });
    expect(flatKeys(config).sort()).toEqual(Object.keys(SCHEMA_LEAVES).sort());
    for (const [key, leaf] of leaves) {
      const value = readKey(config, key);
      expect({ key, kind: kind(value) }).toEqual({ key, kind: kind(leaf.default) });
      expect({ key, value }).toEqual({ key, value: leaf.default });
    }
  });

  it('has defaults that pass their own formats', () => {
    for (const [key, leaf] of leaves) {
      const check: (value: unknown) => void = leaf.format;
      expect({ key, passes: passes(() => check(leaf.default)) }).toEqual({ key, passes: true });
    }
  });

  it('reads a number or a yes/no from its environment variable as that type', () => {
    const typed = leaves.filter(
      ([, leaf]) => leaf.env !== undefined && ['number', 'boolean'].includes(typeof leaf.default),
    );
    const environ = Object.fromEntries(
      typed.map(([, leaf]) => [leaf.env as string, String(leaf.default)]),
    );
    const { config } = loadConfig({ configDir: dir, environ });
    expect(typed.length).toBeGreaterThan(20);
    for (const [key, leaf] of typed) {
      expect({ key, value: readKey(config, key) }).toEqual({ key, value: leaf.default });
    }
  });
});

function passes(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function flatKeys(node: object, prefix = ''): string[] {
  return Object.entries(node).flatMap(([name, value]: [string, unknown]) => {
    const key = prefix ? `${prefix}.${name}` : name;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? flatKeys(value, key)
      : [key];
  });
}

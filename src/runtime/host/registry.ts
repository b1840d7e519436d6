import { AtolyeError } from '../../errors.js';
import type { Pool } from './types.js';

/**
 * The pool that currently serves each function name. Swapping is one map write, so a blue/green
 * deploy switches a function between two calls; the caller drains the pool it gets back.
 */
export class Registry<P extends Pool = Pool> {
  private readonly pools = new Map<string, P>();

  get(name: string): P | undefined {
    return this.pools.get(name);
  }

  /** Makes `pool` the one serving `name`; returns the one it replaced, if any. */
  swap(name: string, pool: P): P | undefined {
    if (pool.spec.name !== name) {
      throw new AtolyeError(
        'REGISTRY_NAME_MISMATCH',
        `cannot register a pool of function "${pool.spec.name}" under the name "${name}"`,
      );
    }
    const previous = this.pools.get(name);
    this.pools.set(name, pool);
    return previous;
  }

  /** Stops routing calls to `name`; returns its pool, for the caller to drain. */
  remove(name: string): P | undefined {
    const previous = this.pools.get(name);
    this.pools.delete(name);
    return previous;
  }

  list(): P[] {
    return [...this.pools.values()];
  }

  names(): string[] {
    return [...this.pools.keys()];
  }
}

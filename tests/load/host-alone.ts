import type { BenchContext } from '../performance/harness.js';
import type { LoadResult } from '../performance/load-client.js';
import { startLoadClient } from '../performance/load-driver.js';
import type { Product } from '../performance/stack.js';

export interface HostAloneResult extends LoadResult {
  concurrency: number;
  perSecond: number;
}

/** As many calls as fit in the time: the round is bounded by `maxMs`, not by a count. */
const CALLS = 10_000_000;
/** At the round's own concurrency, so the pool has scaled up before the measured part. */
const WARMUP_MS = 3_000;

/**
 * The worker host without the orchestrator: signed `POST /fn/echo` calls (the trivial function,
 * with the limits it is deployed with) from a client process of their own, `concurrency` at once
 * for `maxMs`, after a warm-up as busy that starts its workers.
 */
export async function hostAlone(
  ctx: BenchContext,
  product: Product,
  options: { concurrency: number; maxMs: number },
): Promise<HostAloneResult> {
  const client = await startLoadClient(ctx);
  try {
    const target = {
      port: Number(new URL(product.hostUrl).port),
      path: '/fn/echo',
      secret: product.signingSecret,
    };
    await client.drive({
      ...target,
      concurrency: options.concurrency,
      calls: CALLS,
      maxMs: WARMUP_MS,
    });
    const result = await client.drive({
      ...target,
      concurrency: options.concurrency,
      calls: CALLS,
      maxMs: options.maxMs,
    });
    return {
      ...result,
      concurrency: options.concurrency,
      perSecond: result.elapsedMs > 0 ? (result.completed * 1_000) / result.elapsedMs : Number.NaN,
    };
  } finally {
    await client.stop();
  }
}

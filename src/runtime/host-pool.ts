import { createInvoker, InvokeError, type Invoke, type InvokerOptions } from './invoke.js';

/**
 * Several worker hosts behind one `Invoke`. Calls take turns over the hosts believed up; a host
 * whose call got no answer (refused, dropped, timed out) or a 502/503 is skipped until its
 * `/readyz` passes again, probed every `probeMs`. The failed call itself is the caller's to retry
 * (the graph's step retry policy does, with the same idempotency key): its retry goes to another
 * host. With every host down, calls still go out, to the one that failed longest ago.
 */

export interface HostPoolOptions extends Omit<InvokerOptions, 'baseUrl'> {
  baseUrls: readonly string[];
  /** How often a host that is skipped is probed. */
  probeMs?: number;
}

export interface HostPool {
  invoke: Invoke;
  /** The hosts calls go to now (believed up). */
  up(): string[];
  close(): void;
}

/** `host.url` as a list: one base URL, or several separated by commas. */
export function hostUrls(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter((url) => url !== '');
}

/** Codes that say the host itself did not answer: another host may. */
const HOST_DOWN = new Set(['INVOKE_NETWORK', 'INVOKE_TIMEOUT', 'INVOKE_FAILED']);

export function createHostPool(options: HostPoolOptions): HostPool {
  if (options.baseUrls.length === 0) throw new Error('a host pool needs at least one host URL');
  const doFetch = options.fetch ?? fetch;
  const hosts = options.baseUrls.map((baseUrl) => ({
    baseUrl,
    invoke: createInvoker({ ...options, baseUrl }),
    /** When it failed; undefined while it is up. */
    downSince: undefined as number | undefined,
  }));
  let turn = 0;

  const probe = setInterval(() => {
    for (const host of hosts) {
      if (host.downSince === undefined) continue;
      doFetch(`${host.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => {
          if (response.ok) host.downSince = undefined;
        })
        .catch(() => undefined);
    }
  }, options.probeMs ?? 2_000);
  probe.unref();

  const pick = () => {
    const up = hosts.filter((host) => host.downSince === undefined);
    if (up.length === 0) {
      return hosts.reduce((oldest, host) =>
        (host.downSince ?? 0) < (oldest.downSince ?? 0) ? host : oldest,
      );
    }
    turn = (turn + 1) % up.length;
    return up[turn] as (typeof hosts)[number];
  };

  const invoke: Invoke = async (name, input, callOptions) => {
    const host = hosts.length === 1 ? (hosts[0] as (typeof hosts)[number]) : pick();
    try {
      return await host.invoke(name, input, callOptions);
    } catch (error) {
      const status = error instanceof InvokeError ? error.status : undefined;
      const down =
        error instanceof InvokeError &&
        (HOST_DOWN.has(error.code) || status === 502 || status === 503) &&
        callOptions?.signal?.aborted !== true;
      if (down && hosts.length > 1) host.downSince ??= Date.now();
      throw error;
    }
  };

  return {
    invoke,
    up: () => hosts.filter((host) => host.downSince === undefined).map((host) => host.baseUrl),
    close: () => clearInterval(probe),
  };
}

import { readFile } from 'node:fs/promises';
import type { Product } from '../performance/stack.js';
import { childrenOf } from '../load/memory.js';

/** A process of the product a fault is aimed at: what it is, for the outcome counts. */
export interface Victim {
  pid: number;
  role: string;
}

/**
 * The host's workers alive now: its children whose command line runs a bundle of one of
 * `functions` (`…/<function>/<version>/index.mjs`), as memory.ts names them.
 */
export async function workers(hostPid: number, functions: readonly string[]): Promise<Victim[]> {
  const found: Victim[] = [];
  for (const pid of await childrenOf(hostPid)) {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const fn = functions.find((name) => command.includes(`/${name}/`));
    if (fn !== undefined) found.push({ pid, role: fn });
  }
  return found;
}

/** The orchestrator the host runs now, from its admin status; undefined while it is restarting. */
export async function orchestrator(product: Product): Promise<Victim | undefined> {
  const answer = await fetch(`${product.hostUrl}/admin/status`, {
    headers: { authorization: `Bearer ${product.env.ATOLYE_ADMIN_TOKEN ?? ''}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!answer.ok) throw new Error(`GET /admin/status answered ${answer.status}`);
  const status = (await answer.json()) as {
    services?: { name?: string; state?: string; pid?: number }[];
  };
  const service = status.services?.find((item) => item.name === 'orchestrator');
  return service?.state === 'running' && service.pid !== undefined
    ? { pid: service.pid, role: 'orchestrator' }
    : undefined;
}

/** Sends `signal`; false when the process had already gone. */
export function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

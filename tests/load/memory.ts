import { readdir, readFile } from 'node:fs/promises';
import { procCpuMs, procRss } from '../performance/harness.js';

/** One process's resident set, and what it is. */
export interface ProcessRss {
  pid: number;
  /** `host`, `orchestrator`, or the function a worker serves (`other` when none matches). */
  role: string;
  rssBytes: number;
  /** CPU time it has used since it started, user + system (not its sandboxed commands'). */
  cpuMs: number;
}

export const PARTS = ['host', 'orchestrator', 'workers'] as const;
export type Part = (typeof PARTS)[number];

/** The product's memory at one moment of the load run. */
export interface MemorySnapshot {
  label: string;
  /** Runs ended before this snapshot. */
  runs: number;
  /** Taken right after a round of runs (not after warm-up or the host-alone round). */
  afterRound: boolean;
  /** RSS in bytes by part, the workers summed. */
  host: number;
  orchestrator: number;
  workers: number;
  /** CPU time used so far by part, in ms (a worker that has exited takes its share with it). */
  cpuMs: Record<Part, number>;
  processes: ProcessRss[];
}

export interface Watched {
  hostPid: number;
  orchestratorPid: number | undefined;
  /** The deployed functions: a worker is named by the one whose folder its command line holds. */
  functions: readonly string[];
}

/** VmRSS of the host, the orchestrator and each worker (the host's other children), from /proc. */
export async function snapshot(
  label: string,
  runs: number,
  watched: Watched,
  afterRound = false,
): Promise<MemorySnapshot> {
  const processes: ProcessRss[] = [];
  const add = async (pid: number, role: string): Promise<void> => {
    const rssBytes = await procRss(pid);
    const cpuMs = await procCpuMs(pid);
    if (rssBytes !== undefined) processes.push({ pid, role, rssBytes, cpuMs: cpuMs ?? 0 });
  };
  await add(watched.hostPid, 'host');
  if (watched.orchestratorPid !== undefined) await add(watched.orchestratorPid, 'orchestrator');
  for (const pid of await childrenOf(watched.hostPid)) {
    if (pid === watched.orchestratorPid) continue;
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const role = watched.functions.find((name) => command.includes(`/${name}/`)) ?? 'other';
    await add(pid, role);
  }
  const partOf = (item: ProcessRss): Part =>
    item.role === 'host' || item.role === 'orchestrator' ? item.role : 'workers';
  const sum = (part: Part, of: (item: ProcessRss) => number): number =>
    processes.filter((item) => partOf(item) === part).reduce((total, item) => total + of(item), 0);
  return {
    label,
    runs,
    afterRound,
    host: sum('host', (item) => item.rssBytes),
    orchestrator: sum('orchestrator', (item) => item.rssBytes),
    workers: sum('workers', (item) => item.rssBytes),
    cpuMs: {
      host: sum('host', (item) => item.cpuMs),
      orchestrator: sum('orchestrator', (item) => item.cpuMs),
      workers: sum('workers', (item) => item.cpuMs),
    },
    processes,
  };
}

/** The pids whose parent is `parent`, from each process's /proc/<pid>/stat. */
export async function childrenOf(parent: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // After the command name (which may hold spaces and parentheses): state, then the parent.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

export interface PerRun {
  runs: number;
  /** RSS growth per 1,000 runs by part (workers: all of them, however many there are). */
  rssPer1000: Record<Part, number>;
  /** The same for the workers alive at both snapshots only: a pool that scaled does not count. */
  survivors: { count: number; rssPer1000: number };
  cpuMsPerRun: Record<Part, number>;
}

/** Per run between two snapshots, by part: RSS growth (× 1,000: per 1,000 runs) and CPU. */
export function perRun(from: MemorySnapshot, to: MemorySnapshot): PerRun {
  const runs = to.runs - from.runs;
  const per = (delta: number): number => (runs > 0 ? delta / runs : Number.NaN);
  const by = (of: (part: Part) => number): Record<Part, number> =>
    Object.fromEntries(PARTS.map((part) => [part, of(part)])) as Record<Part, number>;
  const isWorker = (item: ProcessRss): boolean =>
    item.role !== 'host' && item.role !== 'orchestrator';
  const earlier = new Map(from.processes.filter(isWorker).map((item) => [item.pid, item.rssBytes]));
  const survivors = to.processes.filter((item) => isWorker(item) && earlier.has(item.pid));
  const grown = survivors.reduce(
    (sum, item) => sum + item.rssBytes - (earlier.get(item.pid) ?? 0),
    0,
  );
  return {
    runs,
    rssPer1000: by((part) => per(to[part] - from[part]) * 1_000),
    survivors: { count: survivors.length, rssPer1000: per(grown) * 1_000 },
    cpuMsPerRun: by((part) => per(to.cpuMs[part] - from.cpuMs[part])),
  };
}

/**
 * How fast the floor of `part`'s RSS rises, per 1,000 runs: the lowest RSS in the last third of
 * `samples` (snapshots taken while runs went on) against the lowest in the first third. RSS is a
 * saw-tooth (the heap grows until a major collection, then drops), so its floors, not its ends,
 * tell a leak (floors keep rising) from a heap finding its size (floors level off). A third
 * without a collection in it overstates the rise: read it over a long round. NaN with fewer than
 * six snapshots.
 */
export function floorPer1000(
  samples: readonly MemorySnapshot[],
  part: Part,
): { perThousand: number; from: MemorySnapshot; to: MemorySnapshot } | undefined {
  if (samples.length < 6) return undefined;
  const sorted = [...samples].sort((a, b) => a.runs - b.runs);
  const third = Math.floor(sorted.length / 3);
  const lowest = (window: MemorySnapshot[]): MemorySnapshot =>
    window.reduce((low, snap) => (snap[part] < low[part] ? snap : low));
  const from = lowest(sorted.slice(0, third));
  const to = lowest(sorted.slice(-third));
  const runs = to.runs - from.runs;
  return {
    perThousand: runs > 0 ? ((to[part] - from[part]) / runs) * 1_000 : Number.NaN,
    from,
    to,
  };
}

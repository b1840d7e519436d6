/**
 * The load generator of the throughput benchmark, run as its own process (as the orchestrator is),
 * so the host's event loop carries only the host. Commands arrive over IPC; results go back.
 */
import http from 'node:http';
import { signedPost } from './http-client.js';
import { summarize, type Summary } from './stats.js';

export interface LoadCommand {
  port: number;
  path: string;
  /** Signs each call when set. */
  secret?: string;
  concurrency: number;
  /** Stop after this many calls … */
  calls: number;
  /** … or after this long, whichever comes first. */
  maxMs: number;
  /** Send back every call's latency too, not only the summary. */
  samples?: boolean;
}

export interface LoadResult {
  completed: number;
  /** Replies other than 200, by status; transport errors under 0. */
  failed: Record<string, number>;
  elapsedMs: number;
  latency: Summary;
  /** CPU time this client process spent, user + system. */
  cpuMs: number;
  samples?: number[];
}

async function run(command: LoadCommand): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: command.concurrency });
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  let started = 0;
  const cpu = process.cpuUsage();
  const begin = performance.now();
  const until = begin + command.maxMs;
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (started < command.calls && performance.now() < until) {
        started += 1;
        const callStarted = performance.now();
        let status: number;
        try {
          status = await signedPost(
            agent,
            command.port,
            command.path,
            { message: 'hello' },
            command.secret,
          );
        } catch {
          status = 0;
        }
        if (status === 200) latencies.push(performance.now() - callStarted);
        else failed[status] = (failed[status] ?? 0) + 1;
      }
    }),
  );
  const elapsedMs = performance.now() - begin;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  return {
    completed: latencies.length,
    failed,
    elapsedMs,
    latency: summarize(latencies),
    cpuMs: (used.user + used.system) / 1000,
    samples: command.samples ? latencies : undefined,
  };
}

process.on('message', (command: LoadCommand) => {
  run(command).then(
    (result) => process.send?.(result),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
// Die with the benchmark.
process.on('disconnect', () => process.exit(0));
process.send?.('ready');

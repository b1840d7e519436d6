import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../src/config/paths.js';
import { withTimeout, type BenchContext } from './harness.js';
import type { LoadCommand, LoadResult } from './load-client.js';
import { exitOf } from '../helpers/processes.js';

export interface LoadClient {
  /** Runs one command in the client process and resolves with its result. */
  drive(command: LoadCommand): Promise<LoadResult>;
  stop(): Promise<void>;
}

/**
 * Forks load-client.ts: callers in their own process, as the orchestrator is, so the host's event
 * loop carries only the host (and its work after a reply is not charged to the caller).
 */
export async function startLoadClient(ctx: BenchContext): Promise<LoadClient> {
  const file = fileURLToPath(new URL('./load-client.ts', import.meta.url));
  const child = ctx.fork(file, [], {
    cwd: projectRoot(),
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await withTimeout(
    new Promise((resolve) => child.once('message', resolve)),
    20_000,
    'the load client did not start',
  );
  const drive = (command: LoadCommand): Promise<LoadResult> =>
    withTimeout(
      new Promise<LoadResult>((resolve, reject) => {
        const onExit = (): void => reject(new Error('the load client exited'));
        child.once('exit', onExit);
        child.once('message', (result: LoadResult) => {
          child.off('exit', onExit);
          resolve(result);
        });
        child.send(command);
      }),
      command.maxMs + 15_000,
      'the load client did not report',
    );
  return {
    drive,
    async stop() {
      if (child.connected) child.disconnect();
      await withTimeout(exitOf(child), 5_000, 'the load client did not exit').catch(() =>
        child.kill('SIGKILL'),
      );
    },
  };
}

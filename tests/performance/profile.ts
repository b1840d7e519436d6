/**
 * What a start-up spends its CPU on: `node --cpu-prof` on a cold worker of a function (fork of
 * its bundle with the worker's flags, until the worker says it is ready) or on a CLI command
 * (`node bin/atolye.js …`), summarised as the top self time by module and by function.
 *
 *   node bin/run-ts.js tests/performance/profile.ts worker <function>   (builds functions/ first)
 *   node bin/run-ts.js tests/performance/profile.ts cli -- --help
 *
 * Not a benchmark: one sample, to say what dominates a cost the benchmarks measure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ATOLYE_BIN, runNode } from './cli.js';
import { createHarness, withTimeout, WORKER_EXEC_ARGV } from './harness.js';
import { summarizeProfile, type CpuProfile } from './profile-summary.js';
import { exitOf } from '../helpers/processes.js';

async function main(args: string[]): Promise<void> {
  const [kind, ...rest] = args;
  const harness = createHarness();
  try {
    const dir = harness.dir('cpu-prof');
    const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    if (kind === 'worker' && rest[0]) {
      const dist = await harness.dist();
      const spec = dist.spec(rest[0]);
      const started = performance.now();
      const child = harness.fork(spec.bundlePath, [], {
        execArgv: [...flags, ...WORKER_EXEC_ARGV(spec.limits.memoryMb)],
        env: { PATH: process.env.PATH, ATOLYE_WORKER: 'ipc', ATOLYE_ENV: 'production' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await withTimeout(
        new Promise((resolve) => child.once('message', resolve)),
        30_000,
        'the worker did not report ready',
      );
      console.log(`${rest[0]}: fork → ready ${(performance.now() - started).toFixed(0)} ms`);
      // A disconnected worker exits on its own, and so writes its profile.
      child.disconnect();
      await withTimeout(exitOf(child), 10_000, 'the worker did not exit');
    } else if (kind === 'cli') {
      const command = rest[0] === '--' ? rest.slice(1) : rest;
      const run = await runNode(harness, [...flags, ATOLYE_BIN, ...command], process.env);
      console.log(`atolye ${command.join(' ')}: ${run.ms.toFixed(0)} ms, exit ${run.code}`);
    } else {
      console.error('usage: profile.ts worker <function> | cli -- <atolye arguments…>');
      process.exitCode = 64;
      return;
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('node wrote no .cpuprofile');
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    console.log(summarizeProfile(profile, { top: 15 }));
  } finally {
    harness.cleanup();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

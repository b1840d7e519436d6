import { errorMessage } from '../../src/errors.js';
import { runCli, runNode } from './cli.js';
import { baselinePlus, type Figure } from './figures.js';
import type { BenchContext, Benchmark } from './harness.js';
import { sharedStack } from './stack.js';
import { summarize } from './stats.js';

/** DESIGN.md: `atolye --help` ≤ `node -e 0` + 150 ms; `atolye status` ≤ `node -e 0` + 400 ms. */
const HELP_OVER_MS = 150;
const STATUS_OVER_MS = 400;

/** Spawn to exit of `node -e 0` and of `command`, in the same environment, interleaved. */
async function paired(
  ctx: BenchContext,
  samples: number,
  env: NodeJS.ProcessEnv,
  command: string[],
): Promise<{ node: number[]; cli: number[] }> {
  const node: number[] = [];
  const cli: number[] = [];
  // One unmeasured pair first: the first start after a build fills tsx's and the OS's caches.
  for (let i = 0; i <= samples; i += 1) {
    const bare = await runNode(ctx, ['-e', '0'], env);
    const run = await runCli(ctx, command, env);
    if (run.code !== 0)
      throw new Error(`atolye ${command.join(' ')} exited ${run.code}: ${run.stderr.slice(-500)}`);
    if (i === 0) continue;
    node.push(bare.ms);
    cli.push(run.ms);
  }
  return { node, cli };
}

/**
 * CLI start-up as a user meets it: `node bin/atolye.js --help`, and `node bin/atolye.js status`
 * against a running host and run API, each spawned to its exit (stdout and stderr piped and
 * read), next to `node -e 0` spawned the same way, with the same environment, in the same run.
 */
export const cliStart: Benchmark = {
  name: 'cli-start',
  description: '`atolye --help` and `atolye status` vs `node -e 0`, spawn to exit',
  async run(ctx) {
    const samples = ctx.quick ? 3 : 8;
    const figures: Figure[] = [];
    const details: Record<string, unknown> = { samples };
    const help = await paired(ctx, samples, process.env, ['--help']);
    const helpNode = summarize(help.node);
    const helpCli = summarize(help.cli);
    figures.push({
      name: '`atolye --help` p50',
      value: helpCli.p50,
      unit: 'ms',
      baseline: { name: '`node -e 0`', value: helpNode.p50 },
      target: baselinePlus(helpNode.p50, HELP_OVER_MS, 'ms'),
      note: `${samples} runs each, interleaved; p90 ${helpCli.p90.toFixed(0)} ms vs ${helpNode.p90.toFixed(0)} ms`,
    });
    details.help = { node: helpNode, cli: helpCli };
    try {
      const stack = await sharedStack(ctx);
      const status = await paired(ctx, samples, stack.env, [...stack.sets, 'status']);
      const statusNode = summarize(status.node);
      const statusCli = summarize(status.cli);
      figures.push({
        name: '`atolye status` p50 (host and run API up)',
        value: statusCli.p50,
        unit: 'ms',
        baseline: { name: '`node -e 0`', value: statusNode.p50 },
        target: baselinePlus(statusNode.p50, STATUS_OVER_MS, 'ms'),
        note: `${samples} runs each, interleaved; asks the host's admin API and both /readyz; p90 ${statusCli.p90.toFixed(0)} ms`,
      });
      details.status = { node: statusNode, cli: statusCli };
    } catch (error) {
      figures.push({
        name: '`atolye status` p50 (host and run API up)',
        value: Number.NaN,
        unit: 'ms',
        target: baselinePlus(Number.NaN, STATUS_OVER_MS, 'ms'),
        note: `not measured: ${errorMessage(error)}`,
      });
    }
    return { figures, details };
  },
};

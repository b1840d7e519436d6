import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { projectRoot } from '../../src/config/paths.js';
import { largestInputs } from '../../src/runtime/bundle/budget.js';
import { buildFunctions, META_FILE, type Manifest } from '../../src/runtime/bundle/index.js';
import { atMost, type Figure } from './figures.js';
import { MODEL_STEPS, type BenchContext, type Benchmark } from './harness.js';

const KIB = 1024;
/** DESIGN.md's bundle targets, in KiB: the model steps, and the two tools-class steps it names. */
const TARGET_KIB: Record<string, number> = {
  ...Object.fromEntries([...MODEL_STEPS].map((name) => [name, 1024])),
  tools: 350,
  finalize: 350,
};

/**
 * Bundle sizes from the build's manifest, against each function's budget, next to the floor every
 * function pays: an empty function (contract, zod, worker shim) built the same way in this run.
 */
export const bundleSize: Benchmark = {
  name: 'bundle-size',
  description: 'bundle bytes from the manifest vs an empty function built the same way',
  async run(ctx) {
    const dist = await ctx.dist();
    const floor = await floorBundle(ctx);
    const figures: Figure[] = [
      {
        name: 'baseline: empty function bundle',
        value: floor.bytes / KIB,
        unit: 'KiB',
        note: floor.largest,
      },
    ];
    for (const fn of dist.manifest.functions) {
      const target = TARGET_KIB[fn.name];
      figures.push({
        name: `${fn.name} bundle`,
        value: fn.bytes / KIB,
        unit: 'KiB',
        baseline: { name: 'empty function', value: floor.bytes / KIB },
        target: target === undefined ? undefined : atMost(target),
        note: `largest inputs: ${largest(dist.outDir, fn.entry)}`,
      });
    }
    return { figures, details: { manifest: dist.manifest, floorBytes: floor.bytes } };
  },
};

function largest(outDir: string, entry: string): string {
  const metafile = JSON.parse(
    readFileSync(path.join(outDir, path.posix.dirname(entry), META_FILE), 'utf8'),
  ) as Metafile;
  return largestInputs(metafile, 4)
    .map((input) => `${input.input} ${(input.bytes / KIB).toFixed(0)} KiB`)
    .join(', ');
}

/** Builds `floor`, a function with empty schemas and a handler returning `{}`, outside functions/. */
async function floorBundle(ctx: BenchContext): Promise<{ bytes: number; largest: string }> {
  const root = projectRoot();
  const functionsDir = ctx.dir('floor-functions');
  mkdirSync(path.join(functionsDir, 'floor'));
  // Outside the checkout there is no `"type": "module"` above the file; without one tsx loads it as CommonJS.
  writeFileSync(path.join(functionsDir, 'package.json'), '{ "type": "module" }\n');
  // Absolute specifiers: the build imports the declaration in this process, outside the checkout.
  writeFileSync(
    path.join(functionsDir, 'floor', 'index.ts'),
    [
      `import * as z from ${JSON.stringify(path.join(root, 'node_modules/zod/index.js'))};`,
      `import { defineFunction } from ${JSON.stringify(path.join(root, 'src/runtime/contract.ts'))};`,
      "export default defineFunction({ name: 'floor', input: z.object({}), output: z.object({}), handle: () => ({}) });",
      '',
    ].join('\n'),
  );
  const outDir = ctx.dir('floor-dist');
  const manifest: Manifest = await buildFunctions({ functionsDir, outDir });
  const fn = manifest.functions[0];
  if (!fn) throw new Error('the empty function did not build');
  return { bytes: fn.bytes, largest: `largest inputs: ${largest(outDir, fn.entry)}` };
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { META_FILE, type Manifest, type ManifestFunction } from './manifest.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Bundle size targets from DESIGN.md (Performance targets): a bundle's size drives its cold start
 * and its worker's memory. A build over budget fails (overBudget), naming the largest inputs.
 */
export const BUNDLE_BUDGET_BYTES = {
  /** Functions that never talk to the model (`tools`, `finalize`, `echo`, `checkout`). */
  default: 350 * KIB,
  /** Model-calling steps carry the model client (ChatOpenAI and the OpenAI SDK). */
  modelCalling: 1 * MIB,
} as const;

/**
 * A function that declares a model API key secret calls the model; only those receive the key
 * (DESIGN.md, Agent), so the declaration already says which budget applies.
 */
export const MODEL_KEY_SECRET = /(^|_)API_KEY$/;

export function bundleBudget(fn: Pick<ManifestFunction, 'secrets'>): number {
  return fn.secrets.some((secret) => MODEL_KEY_SECRET.test(secret))
    ? BUNDLE_BUDGET_BYTES.modelCalling
    : BUNDLE_BUDGET_BYTES.default;
}

export interface BudgetWarning {
  name: string;
  bytes: number;
  budget: number;
  /** The biggest contributors, to say where to look. */
  largest: { input: string; bytes: number }[];
}

/** The bundle's largest inputs, grouped by package for files under node_modules. */
export function largestInputs(metafile: Metafile, count = 3): { input: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const key = packageOf(input) ?? input;
      totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...totals]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes || (a.input < b.input ? -1 : 1))
    .slice(0, count);
}

function packageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input.split('\\').join('/'));
  return match?.[1];
}

/** Why a bundle cannot ship, or undefined when it is within its budget. */
export function overBudget(
  fn: Pick<ManifestFunction, 'secrets' | 'bytes'>,
  metafile: Metafile,
): string | undefined {
  const budget = bundleBudget(fn);
  if (fn.bytes <= budget) return undefined;
  const largest = largestInputs(metafile, 5)
    .map((input) => `${input.input} ${kib(input.bytes)}`)
    .join(', ');
  return (
    `its bundle is ${kib(fn.bytes)}, over its ${kib(budget)} budget ` +
    `(src/runtime/bundle/budget.ts; a bigger bundle starts slower and holds more memory); ` +
    `largest inputs: ${largest}. Import the modules the function uses rather than a barrel or a ` +
    `package that drags in more (the bundle's meta.json lists every input)` +
    (largestInputs(metafile, 1)[0]?.input === 'zod'
      ? `; zod's namespace used as a value (\`import { z } from 'zod'\`, or passed around) ` +
        `brings all its locale tables: write \`import * as z from 'zod'\``
      : '')
  );
}

function kib(bytes: number): string {
  return `${(bytes / KIB).toFixed(1)} KiB`;
}

/** Every function of a build over its budget, with its largest inputs read from its meta.json. */
export async function budgetWarnings(manifest: Manifest, outDir: string): Promise<BudgetWarning[]> {
  const warnings: BudgetWarning[] = [];
  for (const fn of manifest.functions) {
    const budget = bundleBudget(fn);
    if (fn.bytes <= budget) continue;
    const metafile = JSON.parse(
      await readFile(path.join(outDir, path.posix.dirname(fn.entry), META_FILE), 'utf8'),
    ) as Metafile;
    warnings.push({ name: fn.name, bytes: fn.bytes, budget, largest: largestInputs(metafile) });
  }
  return warnings;
}

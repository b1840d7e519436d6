import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { META_FILE, type Manifest, type ManifestFunction } from './manifest.js';

const MIB = 1024 * 1024;

/**
 * Bundle size targets from DESIGN.md (Performance targets): a bundle's size drives its cold start.
 * Over budget is a warning, not a failure.
 */
export const BUNDLE_BUDGET_BYTES = {
  /** Functions that never talk to the model (`tools`, `echo`). */
  default: 1 * MIB,
  /** Model-calling steps carry the model client and may be larger. */
  modelCalling: 2 * MIB,
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

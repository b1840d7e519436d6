export { buildFunctions, type BuildOptions } from './build.js';
export {
  Manifest,
  ManifestFunction,
  MANIFEST_FILE,
  META_FILE,
  contentVersion,
  manifestVersion,
  parseManifest,
  readManifest,
} from './manifest.js';
export {
  BUNDLE_BUDGET_BYTES,
  MODEL_KEY_SECRET,
  bundleBudget,
  budgetWarnings,
  overBudget,
  type BudgetWarning,
} from './budget.js';
export { discoverFunctions, type FunctionSource } from './discover.js';

export { runPlan, type ModelStepDeps, type StepLog } from './plan.js';
export { runAct } from './act.js';
export { condensationLogFields } from './condense.js';
export { runTools, type ToolsDeps } from './tools.js';
export { runReview, type ReviewDeps } from './review.js';
export { runFinalize, workspaceManifest, type ManifestEntry } from './finalize.js';
export { threadWorkspace } from './workspace.js';
export { modelChooser, type ModelChoice } from './model.js';

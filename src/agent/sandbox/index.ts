export { runSandboxed, runUnsandboxed } from './run.js';
export { createSandbox, type Sandbox, type SandboxRunOptions } from './factory.js';
export { BoundedOutput } from './output.js';
export { sandboxCheck } from './readiness.js';
export type { RunOptions, RunResult, SandboxLimits } from './types.js';

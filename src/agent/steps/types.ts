import type * as z from 'zod';
import type { STEP_SCHEMAS, StepName } from '../graph/steps.js';

/** A step's input as its function's handler receives it: parsed, defaults filled in. */
export type StepArgs<N extends StepName> = z.output<(typeof STEP_SCHEMAS)[N]['input']>;

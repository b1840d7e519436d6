import type { ToolDefinition } from '@langchain/core/language_models/base';
import * as z from 'zod';
import { TOOL_SPECS } from './specs.js';
import type { ToolSpec } from './types.js';

/**
 * The specs as OpenAI function-tool definitions, which `ChatOpenAI.bindTools` accepts as they
 * are. Plain JSON rather than `tool()` objects: the `tools` step runs calls itself through
 * `executeToolCall`, so the model only needs names, descriptions and argument schemas.
 */
export function toLangChainTools(specs: readonly ToolSpec[] = TOOL_SPECS): ToolDefinition[] {
  return specs.map((spec) => {
    // `io: 'input'` leaves fields with defaults optional, as the model may omit them.
    const parameters: Record<string, unknown> = z.toJSONSchema(spec.schema, { io: 'input' });
    delete parameters.$schema; // The dialect marker is noise to OpenAI-compatible servers.
    return {
      type: 'function',
      function: { name: spec.name, description: spec.description, parameters },
    };
  });
}

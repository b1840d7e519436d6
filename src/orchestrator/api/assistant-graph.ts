import * as z from 'zod';
import { AgentState, buildAgentGraph } from '../../agent/graph/index.js';
import { AtolyeError } from '../../errors.js';
import { ASSISTANT_ID, RunCreate } from './schemas.js';
import { AgentConfigurable, type AssistantGraph } from './schemas-threads.js';

/**
 * What `GET /assistants/{id}/graph` and `…/schemas` describe: the agent's real graph, drawn by
 * LangGraph from a compiled copy that never runs a step, and its input, state and config as JSON
 * Schema. Both are the same for every assistant: a variant changes settings, not the graph.
 */

type DrawableGraph = z.infer<typeof AssistantGraph>;

let drawn: Promise<DrawableGraph> | undefined;

/** LangGraph's drawable-graph JSON (`nodes`, `edges`), as LangGraph Platform answers it. */
export function agentGraphJson(): Promise<DrawableGraph> {
  drawn ??= (async () => {
    const graph = buildAgentGraph({
      callStep: () => {
        throw new AtolyeError('INTERNAL', 'the graph description runs no steps');
      },
    });
    return (await graph.getGraphAsync()).toJSON() as DrawableGraph;
  })();
  return drawn;
}

/** JSON Schema of each state key's value; a key missing here shows as "any JSON". */
const STATE_VALUE: Record<string, Record<string, unknown>> = {
  task: { type: 'string', description: 'The task of the latest run.' },
  taskPlan: { type: ['object', 'null'], description: 'The plan: steps and the checks.' },
  messages: { type: 'array', items: { type: 'object' }, description: 'Stored-message JSON.' },
  condensed: { type: ['object', 'null'] },
  contextTokens: { type: 'integer' },
  iteration: { type: 'integer', description: '`act` calls so far in this run.' },
  pendingToolCalls: { type: 'array', items: { type: 'object' } },
  filesChanged: { type: 'array', items: { type: 'string' } },
  commandResults: { type: 'array', items: { type: 'object' } },
  usage: { type: 'object', description: 'Tokens and cost per step, and their totals.' },
  status: { type: 'string' },
  error: { type: ['object', 'null'] },
  feedback: { type: ['string', 'null'] },
  workspaceChanges: { type: ['string', 'null'] },
  summary: { type: ['string', 'null'] },
  toolFingerprints: { type: 'array', items: { type: 'string' } },
};

/** A schema as JSON Schema, inlined: a named one (`.meta({ id })`) comes out as its definition. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete out.$schema; // it is part of a bigger document
  const defs = (out.$defs ?? {}) as Record<string, Record<string, unknown>>;
  const ref = out.$ref;
  const named = typeof ref === 'string' ? defs[ref.replace('#/$defs/', '')] : undefined;
  if (!named || Object.keys(defs).length !== 1) return out;
  delete out.$ref;
  delete out.$defs;
  return { ...named, ...out };
}

/** The graph's input, without what the request adds (null or no input, for a resume). */
function graphInput(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

/** LangGraph Platform's schemas answer: input, output (the state), state, config and context. */
export function agentSchemas() {
  const state = {
    title: 'AgentState',
    type: 'object',
    properties: Object.fromEntries(
      Object.keys(AgentState.spec).map((key) => [key, STATE_VALUE[key] ?? {}]),
    ),
  };
  return {
    graph_id: ASSISTANT_ID,
    input_schema: { title: 'Input', ...jsonSchema(graphInput(RunCreate.shape.input)) },
    output_schema: state,
    state_schema: state,
    config_schema: {
      title: 'Config',
      type: 'object',
      properties: { configurable: jsonSchema(AgentConfigurable) },
      additionalProperties: false,
    },
    // Runs take their settings in config.configurable; a context is refused.
    context_schema: {
      title: 'Context',
      type: 'object',
      properties: {},
      additionalProperties: false,
    },
  };
}

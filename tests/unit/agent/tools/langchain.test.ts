import { isOpenAITool } from '@langchain/core/language_models/base';
import { TOOL_NAMES, TOOL_SPECS, toLangChainTools } from '../../../../src/agent/tools/index.js';

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array']);

describe('toLangChainTools', () => {
  const tools = toLangChainTools();

  it('exposes all nine tools in order', () => {
    expect(TOOL_NAMES).toEqual([
      'list_files',
      'search',
      'read_file',
      'write_file',
      'edit_file',
      'insert_lines',
      'delete_file',
      'run_command',
      'finish',
    ]);
    expect(tools.map((t) => t.function.name)).toEqual(TOOL_NAMES);
  });

  it('produces OpenAI function tools with object JSON schemas for each spec', () => {
    for (const [i, tool] of tools.entries()) {
      expect(isOpenAITool(tool)).toBe(true);
      expect(tool.function.description).toBe(TOOL_SPECS[i]?.description);
      const schema = tool.function.parameters as {
        type: string;
        properties: Record<string, { type: string; description?: string }>;
        required?: string[];
        $schema?: string;
      };
      expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
      expect(schema.$schema).toBeUndefined();
      expect(schema.type).toBe('object');
      for (const [field, property] of Object.entries(schema.properties)) {
        expect([field, JSON_TYPES.has(property.type)]).toEqual([field, true]);
        expect(property.description).toEqual(expect.any(String));
      }
      for (const field of schema.required ?? []) expect(schema.properties).toHaveProperty(field);
    }
  });

  it('marks required and defaulted fields the way the model should see them', () => {
    const byName = Object.fromEntries(tools.map((t) => [t.function.name, t.function.parameters]));
    expect(byName.edit_file).toMatchObject({ required: ['path', 'oldText', 'newText'] });
    expect(byName.read_file).toMatchObject({
      required: ['path'],
      properties: { startLine: { type: 'integer', minimum: 1 } },
    });
    expect(byName.run_command).toMatchObject({ required: ['command'] });
    expect(byName.list_files).not.toHaveProperty('required');
    // Either may be given alone; the schema's refinement asks for at least one.
    expect(byName.search).not.toHaveProperty('required');
    expect(byName.search).toMatchObject({
      properties: { pattern: { type: 'string' }, glob: { type: 'string' } },
    });
    expect(byName.insert_lines).toMatchObject({
      required: ['path', 'afterLine', 'text'],
      properties: { afterLine: { type: 'integer', minimum: 0 } },
    });
    expect(byName.finish).toMatchObject({ required: ['summary'] });
  });
});

import { executeToolCall, type RunCommand } from '../../../../src/agent/tools/index.js';

const neverRun: RunCommand = async () => {
  throw new Error('not expected to run');
};
const ctx = { workspace: '/nonexistent-workspace', runCommand: neverRun };

describe('executeToolCall without touching files', () => {
  it('answers an unknown tool with the list of available tools', async () => {
    const result = await executeToolCall({ id: 'c1', name: 'rm_rf', args: {} }, ctx);
    expect(result).toMatchObject({ id: 'c1', name: 'rm_rf', filesChanged: [] });
    expect(result.observation).toMatchObject({ ok: false, code: 'UNKNOWN_TOOL' });
    expect(result.observation.content).toContain(
      'list_files, search, read_file, write_file, edit_file, insert_lines, delete_file, run_command, finish',
    );
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names each bad field instead of throwing', async () => {
    const result = await executeToolCall(
      { id: 'c2', name: 'edit_file', args: { path: 7, oldText: '' } },
      ctx,
    );
    expect(result.observation).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    const { content } = result.observation;
    expect(content).toMatch(/^Invalid arguments for edit_file:/);
    expect(content).toMatch(/- path: .*expected string/);
    expect(content).toMatch(/- oldText: .*>=1 characters/);
    expect(content).toMatch(/- newText: .*expected string/);
  });

  it('names cross-field problems and non-object arguments', async () => {
    const range = await executeToolCall(
      { id: 'c3', name: 'read_file', args: { path: 'a', startLine: 5, endLine: 2 } },
      ctx,
    );
    expect(range.observation.content).toContain('- endLine: endLine must be greater');
    const notObject = await executeToolCall({ id: 'c4', name: 'finish', args: [1] }, ctx);
    expect(notObject.observation.content).toMatch(/- \(arguments\): .*expected object/);
  });

  it('accepts arguments as a JSON string and refuses malformed JSON', async () => {
    const finished = await executeToolCall(
      { id: 'c5', name: 'finish', args: '{"summary":"done, tests pass"}' },
      ctx,
    );
    expect(finished.observation).toEqual({
      ok: true,
      done: true,
      summary: 'done, tests pass',
      content: 'Finished: done, tests pass',
    });
    const broken = await executeToolCall({ id: 'c6', name: 'finish', args: '{"summary":' }, ctx);
    expect(broken.observation).toMatchObject({ ok: false, code: 'INVALID_ARGUMENTS' });
    expect(broken.observation.content).toContain('not valid JSON');
    const empty = await executeToolCall({ id: 'c7', name: 'finish', args: '' }, ctx);
    expect(empty.observation.content).toContain('- summary:');
  });

  it('answers a call act refused with the reason, without running it', async () => {
    const reason = 'The arguments of run_command were not used: they nest deeper than 32 levels';
    const result = await executeToolCall(
      { id: 'c8', name: 'run_command', args: { command: 'ls' }, refused: reason },
      ctx,
    );
    expect(result.observation).toEqual({ ok: false, code: 'INVALID_ARGUMENTS', content: reason });
    expect(result.filesChanged).toEqual([]);
  });
});

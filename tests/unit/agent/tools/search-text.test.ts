import { executeToolCall, type RunCommand } from '../../../../src/agent/tools/index.js';
import { anchorGlob, clipLine } from '../../../../src/agent/tools/search.js';

describe('anchorGlob', () => {
  it('leaves name globs alone and anchors slashed ones at the searched folder', () => {
    expect(anchorGlob('*.ts', '.')).toBe('*.ts');
    expect(anchorGlob('*.ts', 'src')).toBe('*.ts');
    expect(anchorGlob('build/', 'src')).toBe('build/');
    expect(anchorGlob('unit/*.py', '.')).toBe('unit/*.py');
    expect(anchorGlob('unit/*.py', 'tests')).toBe('tests/unit/*.py');
    expect(anchorGlob('/top.py', 'tests')).toBe('tests/top.py');
    expect(anchorGlob('./unit/*.py', 'tests')).toBe('tests/unit/*.py');
    expect(anchorGlob('**/*.test.py', 'a/b')).toBe('a/b/**/*.test.py');
    expect(anchorGlob('!vendor/**', 'src')).toBe('!src/vendor/**');
  });

  it('escapes glob characters in the folder name', () => {
    expect(anchorGlob('x/*.ts', 'a[1]/{b}*')).toBe('a\\[1\\]/\\{b\\}\\*/x/*.ts');
    expect(anchorGlob('x/*.ts', '!odd')).toBe('\\!odd/x/*.ts');
  });
});

describe('clipLine', () => {
  it('keeps short lines and cuts long ones around the match', () => {
    expect(clipLine('short', 0, 10)).toBe('short');
    expect(clipLine('0123456789abcdef', 0, 8)).toBe('01234567…');
    expect(clipLine('0123456789abcdef', 12, 8)).toBe('…89abcdef');
    expect(clipLine('0123456789abcdef', 6, 8)).toBe('…456789ab…');
  });

  it('counts characters, not bytes, so no character is split', () => {
    const line = `${'ş'.repeat(20)}hit${'ü'.repeat(20)}`;
    const at = Buffer.byteLength('ş'.repeat(20));
    expect(clipLine(line, at, 8)).toBe(`…şşhit${'ü'.repeat(3)}…`);
  });
});

describe('search arguments', () => {
  const neverRun: RunCommand = async () => {
    throw new Error('not expected to run');
  };

  it('asks for a pattern or a glob before touching the workspace', async () => {
    const result = await executeToolCall(
      { id: 's1', name: 'search', args: { path: 'src' } },
      { workspace: '/nonexistent-workspace', runCommand: neverRun },
    );
    expect(result.observation).toEqual({
      ok: false,
      code: 'INVALID_ARGUMENTS',
      content:
        'Invalid arguments for search:\n- pattern: give pattern to search file contents, glob to find files by name, or both',
    });
  });
});

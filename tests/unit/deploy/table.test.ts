import { table } from '../../../src/cli/table.js';

describe('table', () => {
  it('pads every column to its widest cell and underlines the header', () => {
    expect(
      table(
        ['function', 'version', 'endpoint'],
        [
          ['echo', 'abc', 'http://127.0.0.1:1/fn/echo'],
          ['a-much-longer-name', 'abcdef123456', 'http://127.0.0.1:1/fn/a-much-longer-name'],
        ],
      ).split('\n'),
    ).toEqual([
      'function            version       endpoint',
      '------------------  ------------  ----------------------------------------',
      'echo                abc           http://127.0.0.1:1/fn/echo',
      'a-much-longer-name  abcdef123456  http://127.0.0.1:1/fn/a-much-longer-name',
    ]);
  });

  it('prints only the header and its rule when there are no rows, without trailing spaces', () => {
    expect(table(['a', 'bb'], [])).toBe('a  bb\n-  --');
  });

  it('treats a missing cell as empty instead of printing "undefined"', () => {
    expect(table(['name', 'value'], [['x']]).split('\n')[2]).toBe('x');
  });
});

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { markdownFiles, mermaidBlocks, proseOf, readDoc, ROOT } from './markdown.js';

// Docs rot where they point at things: a link to a moved file, a diagram box naming a module that
// was renamed. (That docs/api/openapi.json matches the routes is tests/unit/orchestrator/openapi.test.ts.)

const DOCUMENTS = [...markdownFiles('docs'), 'README.md', 'CONTRIBUTING.md'];

/** Relative link targets of a document's prose: `[text](target)`, without #fragments. */
function relativeLinks(markdown: string): string[] {
  return [...proseOf(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1] ?? '')
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => decodeURI(target.split('#')[0] ?? ''));
}

/** Paths into the checkout a Mermaid diagram names (src/…, functions/…, bin/…, tests/…, deploy/…), not build output. */
function diagramPaths(markdown: string): string[] {
  return mermaidBlocks(markdown).flatMap((block) =>
    [
      ...block.matchAll(
        /(?<![\w./-])((?:src|functions|bin|tests|deploy)\/[A-Za-z0-9_./*-]*[A-Za-z0-9_*/])/g,
      ),
    ].map((match) => match[1] ?? ''),
  );
}

const TABLE_ROW = /^\s*\|.*\|\s*$/;

/**
 * 1-based lines of table rows that follow a blank line after another row: Markdown ends a table
 * at a blank line, so such rows render as stray text.
 */
function splitTableRows(markdown: string): number[] {
  const lines = markdown.split('\n');
  const split: number[] = [];
  let fenced = false;
  let lastNonBlank = '';
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced && TABLE_ROW.test(line) && lines[i - 1]?.trim() === '') {
      if (TABLE_ROW.test(lastNonBlank)) split.push(i + 1);
    }
    if (line.trim() !== '') lastNonBlank = fenced ? '' : line;
  });
  return split;
}

/** A path, a folder, or `dir/*\/rest`: some folder of `dir` holds `rest`. */
function exists(relative: string): boolean {
  const glob = /^(.+?)\/\*\/(.+)$/.exec(relative);
  if (glob) {
    const [, dir = '', rest = ''] = glob;
    const base = path.join(ROOT, dir);
    return (
      existsSync(base) &&
      readdirSync(base, { withFileTypes: true }).some(
        (entry) => entry.isDirectory() && existsSync(path.join(base, entry.name, rest)),
      )
    );
  }
  return existsSync(path.join(ROOT, relative.replace(/\/\*$/, '')));
}

test.each(DOCUMENTS)('every relative link in %s points at an existing file', (file) => {
  const dir = path.dirname(path.join(ROOT, file));
  const broken = relativeLinks(readDoc(file))
    .map((target) => path.resolve(dir, target))
    // Links out of the checkout (the workplace's ../shared/) are not the checkout's to keep.
    .filter((target) => !path.relative(ROOT, target).startsWith('..'))
    .filter((target) => !existsSync(target))
    .map((target) => path.relative(ROOT, target));
  expect(broken).toEqual([]);
});

test.each(DOCUMENTS.filter((file) => mermaidBlocks(readDoc(file)).length > 0))(
  'every path a Mermaid box in %s names exists',
  (file) => {
    const named = diagramPaths(readDoc(file));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((relative) => !exists(relative))).toEqual([]);
  },
);

test('the link and path extraction finds what it should, and misses nothing it should not', () => {
  const sample = [
    'See [a](../a.md#x), [b](b.md "title"), [web](https://example.com) and [top](#top).',
    '`[not](code.md)` and',
    '```sh',
    '[also not](fenced.md)',
    '```',
    '```mermaid',
    'flowchart LR',
    '  x["executor (src/orchestrator/executor.ts)"] --> y["functions/*/index.ts"]',
    '  z["dist/functions/tools/index.mjs"]',
    '```',
  ].join('\n');
  expect(relativeLinks(sample)).toEqual(['../a.md', 'b.md']);
  expect(diagramPaths(sample)).toEqual(['src/orchestrator/executor.ts', 'functions/*/index.ts']);
  expect(exists('src/orchestrator/executor.ts')).toBe(true);
  expect(exists('functions/*/index.ts')).toBe(true);
  expect(exists('src/orchestrator/no-such-module.ts')).toBe(false);
});

test.each(DOCUMENTS)('no table in %s is split by a blank line', (file) => {
  expect(splitTableRows(readDoc(file)).map((line) => `${file}:${line}`)).toEqual([]);
});

test('a split table is found, and neither two tables apart nor a table in code is', () => {
  const sample = [
    '| a | b |',
    '| - | - |',
    '| 1 | 2 |',
    '',
    '| 3 | 4 |',
    '',
    'Text between.',
    '',
    '| c |',
    '| - |',
    '```md',
    '| x |',
    '',
    '| y |',
    '```',
  ].join('\n');
  expect(splitTableRows(sample)).toEqual([5]);
});

import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';
import { main } from '../../../src/cli/main.js';
import { captureOutput } from '../../helpers/output.js';
import { tempDir } from '../../helpers/tmp.js';

// `npm run build` (`atolye build`) packages the VS Code extension beside the function bundles:
// a .vsix holding the manifest and one CommonJS bundle that needs nothing but `vscode` and Node.

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir('atolye-vscode-package-');
});
afterAll(() => work.cleanup());

function entriesOf(vsix: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(vsix, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

test('atolye build writes dist/atolye-vscode-<version>.vsix with a self-contained bundle', async () => {
  const outDir = path.join(work.dir, 'dist');
  const output = captureOutput();
  expect(await main(['build', '--out', outDir], { output })).toBe(0);
  const vsix = path.join(outDir, 'atolye-vscode-0.1.0.vsix');
  expect(output.stdout()).toMatch(
    new RegExp(
      `^packaged the VS Code extension 0\\.1\\.0 in \\d+ ms → ${vsix.replace(/[.]/g, '\\.')} \\(\\d+\\.\\d KiB\\)$`,
      'm',
    ),
  );

  const entries = await entriesOf(vsix);
  expect([...entries.keys()].sort()).toEqual([
    '[Content_Types].xml',
    'extension.vsixmanifest',
    'extension/LICENSE.txt',
    'extension/dist/extension.cjs',
    'extension/media/atolye.svg',
    'extension/package.json',
    'extension/readme.md',
  ]);
  const manifest = JSON.parse(entries.get('extension/package.json')?.toString() ?? '{}') as {
    main: string;
    engines: { vscode: string };
    contributes: { commands: { title: string; category: string }[] };
  };
  expect(manifest.main).toBe('./dist/extension.cjs');
  expect(manifest.engines.vscode).toBe('^1.100.0');
  expect(
    manifest.contributes.commands
      .filter((command) => command.category === 'Atölye')
      .map((command) => `${command.category}: ${command.title}`),
  ).toEqual(
    expect.arrayContaining([
      'Atölye: Run Task on Workspace',
      'Atölye: Review Changes',
      'Atölye: Apply All Changes',
      'Atölye: Apply File Changes',
      'Atölye: Discard Changes',
      'Atölye: Cancel Run',
      'Atölye: Show Runs',
      'Atölye: Set API Key',
    ]),
  );

  // The bundle loads with only `vscode` provided (as the editor does) and Node's own modules.
  const bundle = path.join(work.dir, 'extension.cjs');
  writeFileSync(bundle, entries.get('extension/dist/extension.cjs') ?? '');
  const loader = [
    "const Module = require('node:module');",
    'const resolve = Module._resolveFilename;',
    "Module._resolveFilename = function (request, ...rest) { if (request === 'vscode') return 'vscode'; if (!request.startsWith('node:') && !Module.isBuiltin(request) && !request.startsWith('/')) throw new Error('needs ' + request); return resolve.call(this, request, ...rest); };",
    "require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: {} };",
    `console.log(Object.keys(require(${JSON.stringify(bundle)})).sort().join(','));`,
  ].join('\n');
  expect(execFileSync(process.execPath, ['-e', loader], { cwd: work.dir }).toString().trim()).toBe(
    'activate,activateWith,deactivate',
  );
}, 120_000);

test('a partial build (--only) leaves the extension out', async () => {
  const outDir = path.join(work.dir, 'partial');
  const output = captureOutput();
  expect(await main(['build', '--out', outDir, '--only', 'echo'], { output })).toBe(0);
  expect(output.stdout()).not.toContain('VS Code extension');
  expect(readdirSync(outDir).some((name) => name.endsWith('.vsix'))).toBe(false);
}, 120_000);

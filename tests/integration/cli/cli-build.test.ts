import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { buildCli, type CliBuild } from '../../../src/cli/build.js';
import { AtolyeError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { copyCheckout, type CheckoutCopy } from './checkout-copy.js';

/** src/cli/build.ts: the content-named builds, the record bin/cli-build.js trusts, the clean-up. */

let checkout: CheckoutCopy;
beforeEach(() => {
  checkout = copyCheckout();
});
afterEach(() => checkout.cleanup());

const outDir = (): string => path.join(checkout.dir, 'dist/cli');
const build = (): Promise<CliBuild> => buildCli({ rootDir: checkout.dir });

describe('buildCli', () => {
  it('writes a content-named build and records the mtime of every source it read', async () => {
    const built = await build();
    expect(built.entry).toBe(path.join(outDir(), built.record.entry));
    expect(existsSync(built.entry)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(outDir(), 'build.json'), 'utf8'))).toEqual(
      built.record,
    );
    const files = Object.keys(built.record.inputs);
    expect(files).toEqual(
      expect.arrayContaining(['src/cli/main.ts', 'src/cli/build.ts', 'tsconfig.json']),
    );
    expect(files.filter((file) => file.includes('node_modules') || path.isAbsolute(file))).toEqual(
      [],
    );
    // The same sources give the same build, in the same folder.
    expect((await build()).record.entry).toBe(built.record.entry);
  });

  it('keeps `atolye --help` light: before any command runs, no package but commander loads', async () => {
    const { metafile } = await build();
    const entry = Object.keys(metafile.outputs).find((file) => file.endsWith('/main.js'));
    const packages = new Set<string>();
    const visit = (file: string, seen: Set<string>): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imported of metafile.outputs[file]?.imports ?? []) {
        // Dynamic imports are the commands' implementations, loaded when one runs.
        if (imported.kind !== 'import-statement') continue;
        if (!imported.external) visit(imported.path, seen);
        else if (!imported.path.startsWith('node:')) packages.add(imported.path);
      }
    };
    visit(entry ?? 'no main.js in the build', new Set());
    expect([...packages]).toEqual(['commander']);
  });

  it('records a source changed while it built as changed, so the next start rebuilds', async () => {
    const table = path.join(checkout.dir, 'src/cli/table.ts');
    const soon = new Date(Date.now() + 60_000);
    utimesSync(table, soon, soon);
    const { record } = await build();
    expect(record.inputs['src/cli/table.ts']).toBe(0);
    expect(record.inputs['src/cli/main.ts']).toBeGreaterThan(0);
  });

  it('lets concurrent builds of the same sources share one build', async () => {
    const [first, second] = await Promise.all([build(), build()]);
    expect(second.record.entry).toBe(first.record.entry);
    expect(readdirSync(outDir()).sort()).toEqual(
      ['build.json', first.record.entry.split('/')[0]].sort(),
    );
  });

  it('keeps the build it replaces and removes builds replaced over an hour ago', async () => {
    const first = await build();
    const main = path.join(checkout.dir, 'src/cli/main.ts');
    writeFileSync(main, `${readFileSync(main, 'utf8')}\n// edited\n`);
    const second = await build();
    // As if the first build had been replaced two hours ago, and a build had crashed then.
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    mkdirSync(path.join(outDir(), '.staging-crashed'));
    for (const stale of [path.dirname(first.entry), path.join(outDir(), '.staging-crashed')]) {
      utimesSync(stale, hoursAgo, hoursAgo);
    }
    writeFileSync(main, `${readFileSync(main, 'utf8')}// edited again\n`);
    const third = await build();
    const folders = (entry: string): string => entry.split('/')[0] ?? '';
    expect(readdirSync(outDir()).sort()).toEqual(
      ['build.json', folders(second.record.entry), folders(third.record.entry)].sort(),
    );
    expect(existsSync(first.entry)).toBe(false);
  });

  it('fails with CLI_BUILD_FAILED naming the file and line of a source that does not compile', async () => {
    writeFileSync(path.join(checkout.dir, 'src/cli/table.ts'), 'export const table = (;\n');
    const failure = await build().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AtolyeError);
    expect(failure).toMatchObject({ code: 'CLI_BUILD_FAILED', retryable: false });
    expect((failure as Error).message).toMatch(
      /^cannot build the atolye CLI from src\/cli\/main\.ts; fix the source and run it again:\n {2}src\/cli\/table\.ts:1:\d+: /,
    );
    expect(existsSync(path.join(outDir(), 'build.json'))).toBe(false);
  });

  it('fails with CLI_BUILD_FAILED when the build cannot be written', async () => {
    const blocked = tempDir('atolye-cli-out-');
    try {
      const file = path.join(blocked.dir, 'a-file');
      writeFileSync(file, '');
      await expect(buildCli({ rootDir: checkout.dir, outDir: file })).rejects.toMatchObject({
        code: 'CLI_BUILD_FAILED',
        message: expect.stringMatching(
          /^cannot write the atolye CLI build to .*a-file\/[0-9a-f]{16}: /,
        ),
      });
    } finally {
      blocked.cleanup();
    }
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { AtolyeError, errorMessage } from '../errors.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.join(HERE, 'ui', 'main.ts');
const STATIC_DIR = path.join(HERE, 'static');

export interface Asset {
  body: string;
  contentType: string;
  /** The same body gzipped, for clients that accept it (the bundle is large, and compresses well). */
  gzipped?: Uint8Array<ArrayBuffer>;
}

interface Bundle {
  text: string;
  gzipped: Uint8Array<ArrayBuffer>;
}

/** The files the dashboard page loads, by the path it asks for them under. */
export const ASSET_PATHS = [
  '/dashboard/main.js',
  '/dashboard/base.css',
  '/dashboard/views.css',
] as const;
export type AssetPath = (typeof ASSET_PATHS)[number];

let bundle: Promise<Bundle> | undefined;

/**
 * The browser code, bundled once per process (the SDK included: the page loads nothing from
 * elsewhere). A failed build is not kept, so a fixed source is picked up by the next request.
 */
export function dashboardBundle(): Promise<Bundle> {
  bundle ??= buildBundle().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

async function buildBundle(): Promise<Bundle> {
  try {
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const text = result.outputFiles.map((file) => file.text).join('\n');
    return { text, gzipped: new Uint8Array(gzipSync(text)) };
  } catch (error) {
    throw new AtolyeError(
      'DASHBOARD_BUILD_FAILED',
      `the dashboard's browser code did not build: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** The page shell: static, so every value the API returns is put in by the script as text. */
export function dashboardPage(): Promise<string> {
  return readFile(path.join(STATIC_DIR, 'index.html'), 'utf8');
}

export async function dashboardAsset(asset: AssetPath): Promise<Asset> {
  if (asset === '/dashboard/main.js') {
    const { text, gzipped } = await dashboardBundle();
    return { body: text, gzipped, contentType: 'text/javascript; charset=utf-8' };
  }
  return {
    body: await readFile(path.join(STATIC_DIR, path.basename(asset)), 'utf8'),
    contentType: 'text/css; charset=utf-8',
  };
}

#!/usr/bin/env node
// `npm test` runs this first (its pretest script): one message naming the Debian packages the
// tests need that are missing, with the apt-get line, instead of a dozen scattered failures; as
// root with CI set it installs them. The list is in src/cli/system-check.ts.
import { tsImport } from 'tsx/esm/api';

const { ensureSystemPackages, TEST_PACKAGES } = await tsImport(
  '../src/cli/system-check.ts',
  import.meta.url,
);
try {
  ensureSystemPackages('`npm test`', TEST_PACKAGES, { env: process.env });
} catch (error) {
  if (typeof error?.code !== 'string' || !error.code.startsWith('SYSTEM_PACKAGES_')) throw error;
  console.error(error.message);
  process.exit(1);
}

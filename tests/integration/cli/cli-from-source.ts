// `atolye` from its TypeScript sources (under bin/run-ts.js), for tests that need the CLI in a
// process of its own, with an environment of their choosing, whatever state dist/cli is in.
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

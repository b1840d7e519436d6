import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { startHost, type RunningHost } from '../../src/deploy/local/host.js';
import { createLogging, type Logging } from '../../src/logging/index.js';
import type { AtolyeConfig } from '../../src/config/index.js';
import { build, deployOk, hostConfig } from '../integration/deploy/helpers.js';
import { tempDir } from '../helpers/tmp.js';
import type { JsonSchema } from './schema-values.js';

const FUNCTIONS_DIR = fileURLToPath(new URL('./fixtures/host-functions', import.meta.url));
export const FUZZ_FUNCTION = 'fuzz-echo';

/** A real worker host on loopback with the fuzz function deployed. */
export interface HostTarget {
  url: string;
  config: AtolyeConfig;
  secret: string;
  adminToken: string;
  /** The function's input contract as JSON Schema (from its zod schema). */
  inputSchema: JsonSchema;
  /** How many calls the function's handler has run. */
  handled(): number;
  stop(): Promise<void>;
}

export async function startHostTarget(): Promise<HostTarget> {
  const root = tempDir('atolye-fuzz-host-');
  const journal = path.join(root.dir, 'handled.journal');
  writeFileSync(journal, '');
  let logging: Logging | undefined;
  let host: RunningHost | undefined;
  try {
    const config = hostConfig(path.join(root.dir, 'data'), path.join(root.dir, 'logs'), {
      'logging.level': 'warn',
    });
    logging = createLogging(config, { service: 'host', release: 'fuzz' });
    host = await startHost(config, {
      port: 0,
      logging,
      sentry: false,
      env: { ...process.env, FUZZ_JOURNAL: journal },
    });
    const target = { url: host.address.url, config };
    await deployOk(target, await build(FUNCTIONS_DIR, path.join(root.dir, 'dist')));
    const fn = (await import('./fixtures/host-functions/fuzz-echo/index.js')).default;
    const running = host;
    const runningLogging = logging;
    return {
      url: host.address.url,
      config,
      secret: config.security.signingSecret,
      adminToken: config.security.adminToken,
      inputSchema: z.toJSONSchema(fn.input) as JsonSchema,
      handled: () => (existsSync(journal) ? readFileSync(journal).length : 0),
      stop: async () => {
        await running.close();
        await runningLogging.close();
        root.cleanup();
      },
    };
  } catch (error) {
    await host?.close();
    await logging?.close();
    root.cleanup();
    throw error;
  }
}

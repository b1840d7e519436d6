import type { AtolyeConfig } from '../config/index.js';
import { resolveFromRoot } from '../config/paths.js';
import { API_KEY_MIGRATIONS, apiKeysFile } from '../store/api-keys.js';
import { openStorage, storageKind } from '../store/storage.js';
import { RATE_LIMIT_MIGRATIONS } from './api/auth.js';
import { openCheckpointer } from './checkpointer.js';
import { CRON_MIGRATIONS, cronsFile } from './crons-store.js';
import { MIGRATIONS } from './run-records.js';
import { runsFile } from './runs-store.js';

/**
 * Brings every store of the orchestrator to the schema this build expects, on the configured
 * storage, and closes them: what an orchestrator does at start, done once ahead of a rollout
 * (`atolye migrate`, the Kubernetes init container). Concurrent runs are safe: each store's
 * migrations run under a lock.
 */
export async function migrateStores(config: AtolyeConfig): Promise<string[]> {
  const dataDir = resolveFromRoot(config.storage.dataDir);
  const storage = openStorage({ url: config.storage.url });
  const stores = [
    ['runs', runsFile(dataDir), MIGRATIONS],
    ['crons', cronsFile(dataDir), CRON_MIGRATIONS],
    ['api-keys', apiKeysFile(dataDir), API_KEY_MIGRATIONS],
  ] as const;
  try {
    for (const [name, file, migrations] of stores) await storage.open(name, file, migrations);
    if (storage.pool) await storage.open('rate-limits', '', RATE_LIMIT_MIGRATIONS);
  } finally {
    await storage.close();
  }
  const checkpoints = await openCheckpointer({ url: config.storage.url, dataDir });
  await checkpoints.close();
  return [...stores.map(([name]) => name), 'checkpoints'].map(
    (name) => `${name} (${storageKind(config.storage.url)})`,
  );
}

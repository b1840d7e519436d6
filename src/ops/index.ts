export { createBackup, defaultBackupFile, DEFAULT_LOG_DAYS, type BackupResult } from './backup.js';
export { restoreBackup, RESTORED_CONFIG_DIR, type RestoreResult } from './restore.js';
export { runMaintenance, DEFAULT_OLDER_THAN_DAYS, type MaintenanceReport } from './maintenance.js';
export { Manifest, MANIFEST_FILE } from './manifest.js';
export { opsLayout, type OpsLayout } from './layout.js';

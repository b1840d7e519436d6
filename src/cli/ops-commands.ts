import { InvalidArgumentError, type Command } from 'commander';
import type { MaintenanceReport } from '../ops/index.js';
import { loadCliConfig, type CliContext } from './context.js';

/**
 * ops/index.ts's DEFAULT_LOG_DAYS and DEFAULT_OLDER_THAN_DAYS, for `--help` (ops/ is loaded on use,
 * with tar and SQLite); tests/unit/cli/help.test.ts holds them equal.
 */
const DEFAULT_LOG_DAYS = 7;
const DEFAULT_OLDER_THAN_DAYS = 30;

/** `atolye backup`, `atolye restore` and `atolye maintenance`: the operator's data chores. */
export function registerOpsCommands(program: Command, cli: CliContext): void {
  program
    .command('backup')
    .description(
      'Write one tar.gz of the stores (copied online), workspaces, bundles, configuration without secrets and recent logs, with a sha256 manifest',
    )
    .option(
      '--out <file>',
      'archive to write (default <dataDir>/../backups/atolye-<UTC time>.tar.gz)',
    )
    .option(
      '--log-days <days>',
      'take log files modified in the last DAYS days',
      parseDays,
      DEFAULT_LOG_DAYS,
    )
    .option('--json', 'print JSON for scripts')
    .action(async (options: { out?: string; logDays: number; json?: boolean }) => {
      const config = await loadCliConfig(cli);
      const { resolveRelease } = await import('../config/index.js');
      const { createBackup, opsLayout } = await import('../ops/index.js');
      warnPostgres(
        cli,
        config.storage.url,
        'this archive holds the workspaces, bundles, configuration and logs; back the database up with pg_dump, e.g. pg_dump --format=custom --file=atolye-$(date -u +%Y%m%dT%H%M%SZ).dump "$ATOLYE_STORAGE_URL" (restore it with pg_restore --clean --dbname "$ATOLYE_STORAGE_URL" FILE)',
      );
      const result = await createBackup({
        config,
        layout: opsLayout(config, cli.env),
        out: options.out,
        logDays: options.logDays,
        toolVersion: resolveRelease(config),
      });
      if (options.json) {
        const { manifest, ...summary } = result;
        cli.output.out(JSON.stringify({ ...summary, createdAt: manifest.createdAt }, null, 2));
        return;
      }
      cli.output.out(
        [
          `backup written: ${result.file}`,
          `  ${result.files} files (${size(result.contentBytes)} before compression), archive ${size(result.bytes)}`,
          `  stores: ${result.stores.join(', ') || 'none'}`,
        ].join('\n'),
      );
    });

  program
    .command('restore')
    .description(
      'Restore a backup into the data directory after checking every checksum; stop the host first',
    )
    .argument('<file>', 'the atolye-*.tar.gz to restore')
    .option('--force', 'restore into a data directory or workspace root that is not empty')
    .action(async (file: string, options: { force?: boolean }) => {
      const config = await loadCliConfig(cli);
      const { opsLayout, restoreBackup } = await import('../ops/index.js');
      const layout = opsLayout(config, cli.env);
      const result = await restoreBackup({ file, layout, force: options.force });
      cli.output.out(
        [
          `restored ${result.files} files from the backup of ${result.manifest.createdAt} (${result.manifest.tool.version}) into ${layout.dataDir}`,
          `  stores: ${result.stores.join(', ') || 'none'}`,
          `  workspaces: ${result.workspaces.length} in ${layout.workspaceRoot}`,
          `  bundles: ${result.bundles ? layout.bundleDir : 'none in the backup'}`,
          result.configCopy
            ? `  configuration (secrets masked, not applied): ${result.configCopy}`
            : '  configuration: none in the backup',
          '  logs are not restored',
        ].join('\n'),
      );
    });

  program
    .command('maintenance')
    .description(
      'Prune old threads, checkpoints and workspaces, vacuum the stores, measure the logs (dry run unless --apply)',
    )
    .option(
      '--older-than <days>',
      'age of what goes, by last update',
      parseDays,
      DEFAULT_OLDER_THAN_DAYS,
    )
    .option('--apply', 'delete and vacuum; without it nothing changes')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { olderThan: number; apply?: boolean; json?: boolean }) => {
      const config = await loadCliConfig(cli);
      const { opsLayout, runMaintenance } = await import('../ops/index.js');
      warnPostgres(cli, config.storage.url, 'they are not pruned here');
      const report = runMaintenance({
        layout: opsLayout(config, cli.env),
        olderThanDays: options.olderThan,
        apply: options.apply,
      });
      cli.output.out(options.json ? JSON.stringify(report, null, 2) : describeReport(report));
    });
}

function describeReport(report: MaintenanceReport): string {
  const verb = report.applied ? 'pruned' : 'would prune';
  const lines = [
    report.applied
      ? 'maintenance applied'
      : 'dry run: nothing was changed (add --apply to prune and vacuum)',
    `${verb} ${report.threads.length} threads last updated before ${report.cutoff} (${report.olderThanDays} days)`,
    ...report.threads.map(
      (t) =>
        `  ${t.threadId}  updated ${t.updatedAt}: ${t.runs} runs, ${t.runEvents} run events, ${t.checkpoints} checkpoints, ${t.writes} writes${t.workspace ? ', workspace' : ''}`,
    ),
  ];
  if (report.keptActive.length > 0) {
    lines.push(
      `kept ${report.keptActive.length} old threads with a pending or running run: ${report.keptActive.join(', ')}`,
    );
  }
  lines.push(
    `${verb} ${report.orphanWorkspaces.length} workspaces of no thread, unchanged since the cutoff`,
  );
  lines.push(...report.orphanWorkspaces.map((name) => `  ${name}`));
  lines.push(report.applied ? 'stores (vacuumed):' : 'stores:');
  lines.push(
    ...report.stores.map(
      (s) =>
        `  ${s.name}  ${size(s.bytes)}${s.bytesAfter === undefined ? '' : ` -> ${size(s.bytesAfter)}`}`,
    ),
  );
  lines.push(
    `log directory ${report.logs.dir}: ${report.logs.files} files, ${size(report.logs.bytes)}`,
  );
  return lines.join('\n');
}

/** Checkpoints kept in Postgres (storage.url) are outside the data directory. */
function warnPostgres(cli: CliContext, url: string, advice: string): void {
  if (url !== '') {
    cli.output.err(
      `note: threads, runs, their events, API keys, crons and checkpoints are in Postgres (storage.url): ${advice}`,
    );
  }
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isFinite(days) || days < 0) {
    throw new InvalidArgumentError('use a number of days, 0 or more');
  }
  return days;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

import type { Command } from 'commander';
import { AtolyeError } from '../errors.js';
import { loadCliConfig, type CliContext } from './context.js';
import { parsePort } from './host-commands.js';

export function registerOrchestratorCommand(program: Command, cli: CliContext): void {
  program
    .command('orchestrator')
    .description(
      'Run the orchestrator (run API, dashboard, run executor) in the foreground; the worker host runs it as a service',
    )
    .option(
      '--port <port>',
      'listen on this port instead of api.port (0 = any free port)',
      parsePort,
    )
    .action(async (options: { port?: number }) => {
      const config = await loadCliConfig(cli);
      const { readOrchestratorState, removeOrchestratorState, writeOrchestratorState } =
        await import('../deploy/local/orchestrator-state.js');
      // Another orchestrator on this data directory: with SQLite both would take the same runs;
      // with Postgres this one joins it, and the state file keeps naming the first for the CLI.
      const first = readOrchestratorState(config);
      if (first && first.pid !== process.pid && config.storage.url === '') {
        throw new AtolyeError(
          'ORCHESTRATOR_RUNNING',
          `an orchestrator (pid ${first.pid}, ${first.url}) already runs on the SQLite store in ${config.storage.dataDir}: stop it first, or set storage.url (ATOLYE_STORAGE_URL) to a Postgres database to run several`,
        );
      }
      const { startOrchestrator } = await import('../orchestrator/service.js');
      const { handedPort } = await import('../runtime/handed-connections.js');
      // Under the worker host, the host writes the channel files; the records go to it on stdout.
      const forward = cli.env.ATOLYE_LOG_FORWARD === 'stdout';
      // The host that runs it may listen on api.port itself and hand it the connections.
      const handed = handedPort(cli.env);
      const orchestrator = await startOrchestrator(config, {
        port: handed ?? options.port,
        handed: handed !== undefined,
        // The worker host that runs this orchestrator as its service says where it serves.
        hostUrl: cli.env.ATOLYE_HOST_URL,
        forwardLogs: forward
          ? (record) => void process.stdout.write(`${JSON.stringify(record)}\n`)
          : undefined,
      });
      if (!first) {
        writeOrchestratorState(config, {
          pid: process.pid,
          url: orchestrator.url,
          startedAt: new Date().toISOString(),
        });
      }
      if (!forward) {
        cli.output.err(`orchestrator listening on ${orchestrator.url} (pid ${process.pid})`);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
        // The host that hands it its connections is gone: none will come, and nobody would stop it.
        if (handed !== undefined) process.once('disconnect', resolve);
      });
      await orchestrator.close();
      removeOrchestratorState(config);
      // The open channel to the host would keep this process alive.
      if (process.connected) process.disconnect();
    });
}

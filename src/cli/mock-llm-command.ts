import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from './context.js';
import type { MockLlm } from './mock-llm/index.js';

const running = new Set<MockLlm>();

/** Stops every mock model server this process started from the CLI (for in-process tests). */
export async function stopMockLlmCommands(): Promise<void> {
  await Promise.all([...running].map((server) => server.close()));
}

export function registerMockLlmCommand(program: Command, cli: CliContext): void {
  program
    .command('mock-llm')
    .description('Serve OpenAI-compatible chat completions replayed from a script (offline model)')
    .requiredOption('--script <file>', 'JSON script of turns to replay (see docs/mock-llm.md)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 0)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'require this bearer token, answering 401 to any other')
    .action(async (options: { script: string; port: number; host: string; apiKey?: string }) => {
      const { loadScript, startMockLlm } = await import('./mock-llm/index.js');
      const script = await loadScript(options.script);
      const server = await startMockLlm({
        script,
        port: options.port,
        host: options.host,
        apiKey: options.apiKey,
      });
      running.add(server);
      const stop = (): void => void server.close();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      cli.output.out(server.url);
      cli.output.err(
        `mock-llm serving ${script.turns.length} turns from ${options.script} at ${server.url} (pid ${process.pid})`,
      );
      await server.closed;
      running.delete(server);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('the port must be an integer from 0 to 65535');
  }
  return port;
}

import path from 'node:path';
import { projectRoot } from '../../src/config/index.js';
import { startProcess, type WatchedProcess } from './processes.js';

/** A real `atolye orchestrator` process, and the URL of its run API. */
export interface OrchestratorProcess {
  url: string;
  process: WatchedProcess;
}

/**
 * Starts `atolye orchestrator --port 0` with `env` over the test's own environment (ATOLYE_ENV is
 * testing) and resolves once it listens; rejects quoting its output if it exits first.
 */
export async function startOrchestratorProcess(
  env: NodeJS.ProcessEnv,
  name = 'the orchestrator',
): Promise<OrchestratorProcess> {
  const child = startProcess(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'atolye.js'), 'orchestrator', '--port', '0'],
    { cwd: projectRoot(), env: { ...process.env, ATOLYE_ENV: 'testing', ...env } },
  );
  try {
    const [, url] = await child.waitFor(
      /orchestrator listening on (http:\/\/\S+)/,
      `${name} to listen`,
      { timeoutMs: 60_000 },
    );
    return { url: url as string, process: child };
  } catch (error) {
    await child.stop({ graceMs: 2_000 });
    throw error;
  }
}

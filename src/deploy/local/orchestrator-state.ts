import type { AtolyeConfig } from '../../config/index.js';
import { PidFile } from './pid-file.js';

/** What a running orchestrator leaves in the data directory so the CLI can find its API. */
export interface OrchestratorState {
  pid: number;
  url: string;
  startedAt: string;
}

const stateFile = (config: AtolyeConfig): PidFile<OrchestratorState> =>
  new PidFile(config, 'orchestrator.json');

export function writeOrchestratorState(config: AtolyeConfig, state: OrchestratorState): void {
  stateFile(config).write(state);
}

export function removeOrchestratorState(config: AtolyeConfig, pid = process.pid): void {
  stateFile(config).remove(pid);
}

/** The orchestrator named by its state file, if its process lives. */
export function readOrchestratorState(config: AtolyeConfig): OrchestratorState | undefined {
  return stateFile(config).live();
}

import type { RunStatus as AgentRunStatus } from '../agent/graph/index.js';

/**
 * A run's status as the Run API reports it (LangGraph Platform's values). The agent has more
 * terminal statuses than the API; the extra ones fold into `error`, keeping why as `stopReason`.
 */
export const RUN_STATUSES = [
  'pending',
  'running',
  'success',
  'error',
  'timeout',
  'interrupted',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const FINISHED_STATUSES: readonly RunStatus[] = [
  'success',
  'error',
  'timeout',
  'interrupted',
];

export interface MappedStatus {
  status: RunStatus;
  /** The agent's own terminal status when the API status alone would lose it. */
  stopReason: string | null;
}

export function mapAgentStatus(agent: AgentRunStatus): MappedStatus {
  switch (agent) {
    case 'success':
    case 'error':
    case 'running':
      return { status: agent, stopReason: null };
    case 'cancelled':
      return { status: 'interrupted', stopReason: 'cancelled' };
    case 'max_iterations':
    case 'stuck':
    case 'budget_exceeded':
      return { status: 'error', stopReason: agent };
  }
}

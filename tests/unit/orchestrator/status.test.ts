import { RUN_STATUSES as AGENT_STATUSES } from '../../../src/agent/graph/index.js';
import { mapAgentStatus, RUN_STATUSES } from '../../../src/orchestrator/index.js';

test.each([
  ['success', 'success', null],
  ['error', 'error', null],
  ['running', 'running', null],
  ['cancelled', 'interrupted', 'cancelled'],
  ['max_iterations', 'error', 'max_iterations'],
  ['stuck', 'error', 'stuck'],
  ['budget_exceeded', 'error', 'budget_exceeded'],
] as const)('agent status %s is reported as %s (stop reason %s)', (agent, status, stopReason) => {
  expect(mapAgentStatus(agent)).toEqual({ status, stopReason });
});

test('every agent status maps to a Run API status', () => {
  for (const agent of AGENT_STATUSES) {
    expect(RUN_STATUSES).toContain(mapAgentStatus(agent).status);
  }
});

import { AtolyeError } from '../../errors.js';
import { isThreadId, THREAD_ID_RULE } from '../../workspace/thread-id.js';
import { assistantsOf, type AssistantRecord } from '../assistants-store.js';
import type { ThreadScope } from '../runs-store.js';
import { scopeOf, type Caller } from './access.js';
import type { ApiDeps } from './types.js';
import { ASSISTANT_ID, ASSISTANT_UUID } from './schemas.js';

/**
 * The assistants a key can use: the built-in one, `atolye` (also known by its UUID), with no
 * settings of its own, and the variants of its key or team (assistants-store.ts). Every lookup by
 * id goes through here, so runs and the assistant routes agree on what an id names.
 */

const CREATED = '2026-01-01T00:00:00.000Z';

export const BUILT_IN_ASSISTANT: AssistantRecord = {
  assistantId: ASSISTANT_UUID,
  graphId: ASSISTANT_ID,
  name: ASSISTANT_ID,
  description: 'Plans, writes and runs code in the thread workspace, checks it, and reports.',
  configurable: {},
  metadata: {},
  owner: null,
  version: 1,
  createdAt: CREATED,
  updatedAt: CREATED,
};

export function isBuiltIn(assistantId: string): boolean {
  return assistantId === ASSISTANT_ID || assistantId === ASSISTANT_UUID;
}

/**
 * Whether `assistantId` may name a stored variant: POST /assistants takes only ids of the thread
 * id rule. Any other id is unknown without asking the store, which may not even hold it as text
 * (Postgres refuses a NUL character; a 5 000-character id is no key of anything).
 */
function mayBeStored(assistantId: string): boolean {
  return isThreadId(assistantId);
}

/** The assistant `assistantId` names for `scope`; ASSISTANT_NOT_FOUND otherwise. */
export async function findAssistant(
  deps: Pick<ApiDeps, 'store'>,
  assistantId: string,
  scope: ThreadScope,
): Promise<AssistantRecord> {
  if (isBuiltIn(assistantId)) return BUILT_IN_ASSISTANT;
  const variant = mayBeStored(assistantId)
    ? await assistantsOf(deps.store).get(assistantId, scope)
    : undefined;
  if (!variant) {
    const shown = JSON.stringify(assistantId);
    const brief = shown.length > 80 ? `${shown.slice(0, 60)}…"` : shown;
    const rule = mayBeStored(assistantId) ? '' : ` (an assistant id is ${THREAD_ID_RULE})`;
    throw new AtolyeError(
      'ASSISTANT_NOT_FOUND',
      `no assistant ${brief}${rule}: use "${ASSISTANT_ID}", or an assistant_id from POST /assistants/search`,
    );
  }
  return variant;
}

/**
 * What a run of `assistantId` starts with in `config.configurable` (the run's own keys go on top);
 * undefined when `caller` has no such assistant. `{}` for the built-in one.
 */
export async function assistantConfigurable(
  deps: Pick<ApiDeps, 'store'>,
  assistantId: string,
  caller: Caller,
): Promise<Record<string, unknown> | undefined> {
  if (isBuiltIn(assistantId)) return {};
  if (!mayBeStored(assistantId)) return undefined;
  return (await assistantsOf(deps.store).get(assistantId, scopeOf(caller)))?.configurable;
}

/** Refuses (409) changing or deleting the built-in assistant. */
export function assertChangeable(assistantId: string, what: 'changed' | 'deleted'): void {
  if (isBuiltIn(assistantId)) {
    throw new AtolyeError(
      'ASSISTANT_BUILT_IN',
      `the built-in assistant "${ASSISTANT_ID}" cannot be ${what}: create a variant with POST /assistants and change that`,
    );
  }
}

import { AtolyeError } from '../../errors.js';
import type { ApiKeyIdentity } from '../../store/api-keys.js';
import type { ThreadScope } from '../runs-store.js';

/**
 * Tenancy. A thread (its runs, events, state and workspace) belongs to the key that created it,
 * or to that key's team when it has one, and then every key of the team shares it. Ownership goes
 * by name, so a key rotated under the same name (revoke, create again) keeps its threads. Admin
 * keys see every thread, the unowned ones from before ownership existed included, and the pages
 * about the host itself. A thread out of a key's scope answers 404, as a missing one does, so ids
 * cannot be probed.
 */

/** The key a request was made with. */
export type Caller = ApiKeyIdentity;

/** The owner recorded on a thread `caller` creates. */
export function ownerOf(caller: Caller): string {
  return caller.team === null ? `key:${caller.name}` : `team:${caller.team}`;
}

/** The threads `caller` may see. */
export function scopeOf(caller: Caller): ThreadScope {
  if (caller.admin) return { all: true };
  const own = `key:${caller.name}`;
  return { owners: caller.team === null ? [own] : [own, `team:${caller.team}`] };
}

/** Refuses (403) a key that is not an admin key; `what` names what was asked for. */
export function requireAdmin(caller: Caller, what: string): void {
  if (!caller.admin) {
    throw new AtolyeError(
      'ADMIN_REQUIRED',
      `${what} is shown to admin keys only (an operator creates one with \`atolye keys create --name NAME --admin\`)`,
    );
  }
}

export interface LogLineLookups {
  /** Whether the thread exists and `caller` may see it. */
  threadVisible(threadId: string): Promise<boolean>;
  /** Names of the keys that have belonged to `team`. */
  teamMembers(team: string): Promise<string[]>;
}

/**
 * Which log lines a key that is not an admin key may read: lines of its own (or its team's)
 * threads only, and of those, a request line only when a key of its own made it (another key
 * probing the thread is the operator's business, not the owner's). Lines about no thread (the
 * host, other users) are an admin's alone.
 */
export async function ownLogLines(
  caller: Caller,
  lookups: LogLineLookups,
): Promise<(record: Record<string, unknown>) => Promise<boolean>> {
  const members = caller.team ? await lookups.teamMembers(caller.team) : [];
  const names = new Set([caller.name, ...members]);
  const visible = new Map<string, boolean>();
  return async (record) => {
    const threadId = record.threadId;
    if (typeof threadId !== 'string') return false;
    // A request line (it has a method) counts as made by its key, or by no one without one.
    const request = record.key !== undefined || typeof record.method === 'string';
    if (request && !names.has(String(record.key))) return false;
    let seen = visible.get(threadId);
    if (seen === undefined) {
      seen = await lookups.threadVisible(threadId);
      visible.set(threadId, seen);
    }
    return seen;
  };
}

import { AtolyeError } from '../../errors.js';
import type { Caller } from './access.js';
import type { KeyVerifier } from './types.js';

/**
 * A request that stays open (a stream, a wait for a run's end) was authorised when it began; its
 * key is checked again this often, so revoking a key ends what it has open within seconds.
 */
export const KEY_CHECK_MS = 2_000;

export function keyRevokedError(caller: Caller): AtolyeError {
  return new AtolyeError(
    'API_KEY_REVOKED',
    `the API key "${caller.name}" was revoked while this request was open`,
  );
}

/** `work`'s result, unless a check every `everyMs` finds the key revoked first (API_KEY_REVOKED). */
export async function whileKeyLive<T>(
  keys: KeyVerifier,
  caller: Caller,
  work: Promise<T>,
  everyMs = KEY_CHECK_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const revoked = new Promise<never>((_resolve, reject) => {
    const again = (): void => {
      if (!settled) timer = setTimeout(check, everyMs);
    };
    const check = (): void => {
      keys.isLive(caller.id).then(
        (live) => (live ? again() : reject(keyRevokedError(caller))),
        again, // the store did not answer: look again at the next check
      );
    };
    timer = setTimeout(check, everyMs);
  });
  revoked.catch(() => undefined); // a revocation after `work` ended is nobody's business
  try {
    return await Promise.race([work, revoked]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

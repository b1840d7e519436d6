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
  const revoked = new Promise<never>((_resolve, reject) => {
    const check = (): void => {
      if (keys.isLive(caller.id)) timer = setTimeout(check, everyMs);
      else reject(keyRevokedError(caller));
    };
    timer = setTimeout(check, everyMs);
  });
  try {
    return await Promise.race([work, revoked]);
  } finally {
    clearTimeout(timer);
  }
}

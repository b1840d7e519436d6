import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ToolCall } from '../graph/steps.js';

/**
 * An approval the orchestrator signed: an HMAC over the thread and the exact call (id, tool and
 * arguments, after any edit a person made). The `tools` function checks it before it runs a held
 * call, so neither a bug in the orchestrator nor a forged request can run what nobody approved.
 * The key is derived from the signing secret; the host hands it to the functions that declare it.
 */

/** The variable a function declares in `secrets` to receive the approval key. */
export const APPROVAL_KEY_ENV = 'ATOLYE_APPROVAL_KEY';

export function approvalKeyFrom(signingSecret: string): string {
  return createHmac('sha256', signingSecret).update('atolye approval key v1').digest('hex');
}

export function signApproval(key: string, threadId: string, call: ToolCall): string {
  return createHmac('sha256', key)
    .update(JSON.stringify([threadId, call.id, call.name, call.args ?? null]))
    .digest('hex');
}

export function verifyApproval(
  key: string,
  threadId: string,
  call: ToolCall,
  signature: string | undefined,
): boolean {
  if (key === '' || signature === undefined || !/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = Buffer.from(signApproval(key, threadId, call), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

import type { AtolyeConfig } from '../../config/index.js';
import { AtolyeError, relayedCode } from '../../errors.js';
import type { PoolStats } from '../../runtime/host/index.js';

/** The host's admin API as the CLI and the deploy call it: the admin token, errors as AtolyeErrors. */

export interface HostStatus {
  host: Record<string, unknown> & { url?: string; pid?: number };
  functions: PoolStats[];
  services: unknown[];
}

export async function hostStatus(config: AtolyeConfig, url: string): Promise<HostStatus> {
  return adminCall<HostStatus>(config, url, 'GET', '/admin/status');
}

/** Calls the host's admin API with the admin token; its errors come back as AtolyeErrors. */
export async function adminCall<T>(
  config: AtolyeConfig,
  url: string,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${config.security.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new AtolyeError(
      'HOST_UNREACHABLE',
      `the worker host at ${url} did not answer: ${String(error)}`,
      {
        retryable: true,
      },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AtolyeError(
      'HOST_BAD_REPLY',
      `the worker host answered ${response.status} with non-JSON: ${text.slice(0, 200)}`,
    );
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new AtolyeError(
      error?.code === undefined ? 'HOST_ERROR' : relayedCode(error.code),
      error?.message ?? `the worker host answered ${response.status}`,
    );
  }
  return parsed as T;
}

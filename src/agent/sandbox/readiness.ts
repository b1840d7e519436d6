import type { AtolyeConfig } from '../../config/index.js';
import { errorMessage } from '../../errors.js';
import type { ReadinessCheck } from '../../monitoring/readiness.js';
import { findExecutable, locateBwrap } from './locate.js';
import { BASE_ENV } from './types.js';

/**
 * The sandbox's own readiness check, which the service that runs the tools step (the worker
 * host) adds to its checks: bwrap and prlimit are there when commands must run isolated; mode
 * none is worth a warning.
 */
export function sandboxCheck(config: {
  sandbox: Pick<AtolyeConfig['sandbox'], 'mode'>;
}): ReadinessCheck {
  if (config.sandbox.mode === 'none') {
    return {
      status: 'warn',
      output: 'sandbox.mode is "none": commands run without isolation (development and tests only)',
    };
  }
  try {
    locateBwrap();
  } catch (error) {
    return { status: 'fail', output: errorMessage(error) };
  }
  if (findExecutable('prlimit', BASE_ENV.PATH) === undefined) {
    return {
      status: 'fail',
      output:
        'prlimit was not found in /usr/bin or /bin (Debian/Ubuntu: apt-get install util-linux)',
    };
  }
  return { status: 'pass' };
}

import type { ErrorCodeEntry } from './entry.js';

/** Codes of a thread's workspace: imports, clones, pushes and the git underneath. */
export const WORKSPACE_ERRORS = {
  IMPORT_REFUSED: { status: 400, retryable: false },
  IMPORT_TOO_LARGE: { status: 413, retryable: false },
  IMPORT_FAILED: { status: 500, retryable: false },
  WORKSPACE_NOT_EMPTY: { status: 409, retryable: false },
  GIT_URL_REFUSED: { status: 400, retryable: false },
  GIT_REF_NOT_FOUND: { status: 400, retryable: false },
  GIT_CLONE_FAILED: { status: 400, retryable: false },
  GIT_AUTH_FAILED: { status: 400, retryable: false },
  GIT_BRANCH_INVALID: { status: 400, retryable: false },
  GIT_BRANCH_EXISTS: { status: 409, retryable: false },
  GIT_NO_ORIGIN: { status: 409, retryable: false },
  NOTHING_TO_PUSH: { status: 409, retryable: false },
  GIT_PUSH_FAILED: { status: 400, retryable: false },
  GIT_UNAVAILABLE: { status: 503, retryable: false },
  GIT_FAILED: { status: 500, retryable: false },
  GIT_MISSING: { status: 500, retryable: false },
} as const satisfies Record<string, ErrorCodeEntry>;

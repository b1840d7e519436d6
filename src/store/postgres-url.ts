import { AtolyeError, errorCodeOf, errorMessage } from '../errors.js';

/**
 * `storage.url` as a Postgres connection: what it names (for messages, never the password), and a
 * failed connection turned into STORE_UNAVAILABLE saying what to fix.
 */

export const CONFIG_HINT = 'storage.url (ATOLYE_STORAGE_URL)';

export interface PostgresTarget {
  /** user@host:port/database, never the password. */
  text: string;
  user: string;
  database: string;
  /** Values that must not appear in a message (the password, as written and decoded). */
  secrets: string[];
}

export function describePostgresUrl(url: string): PostgresTarget {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new AtolyeError(
      'STORE_UNAVAILABLE',
      `${CONFIG_HINT} must be empty (SQLite files in storage.dataDir) or a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/database`,
    );
  }
  // pg's own parser accepts an empty host before the path ("user@/db?host=/socket"); so do we.
  const parsed = URL.canParse(url)
    ? new URL(url)
    : URL.canParse(url.replace('@/', '@localhost/'))
      ? new URL(url.replace('@/', '@localhost/'))
      : undefined;
  if (!parsed) {
    throw new AtolyeError(
      'STORE_UNAVAILABLE',
      `${CONFIG_HINT} is not a valid URL: expected postgres://user:password@host:5432/database; check the port and percent-encode special characters in the user name and password`,
    );
  }
  const decode = (value: string): string => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value; // not percent-encoded after all: pg uses it as written
    }
  };
  const params = parsed.searchParams;
  const user = params.get('user') ?? (decode(parsed.username) || '(default user)');
  const host = params.get('host') ?? (decode(parsed.hostname) || 'localhost');
  const port = params.get('port') ?? (parsed.port || '5432');
  const database = decode(parsed.pathname.slice(1)) || user;
  const secrets = [parsed.password, decode(parsed.password), params.get('password') ?? ''].filter(
    (secret) => secret.length > 0,
  );
  return { text: `${user}@${host}:${port}/${database}`, user, database, secrets };
}

export function unavailable(what: string, target: PostgresTarget, error: unknown): AtolyeError {
  const code = errorCodeOf(error);
  const detail = scrub(errorMessage(error), target.secrets);
  let fix: string;
  if (code === 'ECONNREFUSED') {
    fix = `nothing accepts connections there: start the Postgres server, or fix the host and port in ${CONFIG_HINT}`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    fix = `the host name does not resolve: fix the host in ${CONFIG_HINT}`;
  } else if (code === '28P01' || code === '28000') {
    fix = `the server refused user "${target.user}": check the user name and password in ${CONFIG_HINT}, and the server's pg_hba.conf`;
  } else if (code === '3D000') {
    fix = `database "${target.database}" does not exist: create it (createdb ${target.database}) or fix the database name in ${CONFIG_HINT}`;
  } else if (/timeout/i.test(detail)) {
    fix = `the server did not answer in time: check that it runs and that no firewall drops the connection, or fix ${CONFIG_HINT}`;
  } else {
    fix = `check that the server runs and accepts this user, or fix ${CONFIG_HINT}`;
  }
  return new AtolyeError(
    'STORE_UNAVAILABLE',
    `cannot open the Postgres ${what} ${target.text} (${detail}): ${fix}`,
    // The pg error is not kept as the cause: some carry the connection settings.
    { retryable: true },
  );
}

export function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('****'), text);
}

import * as z from 'zod';
import { AtolyeError } from '../errors.js';

/**
 * The readiness document, in the health+json format (draft-inadarei-api-health-check): an
 * overall status and, per `component:measurement`, the entries that say it. The worker host's and
 * the orchestrator's /readyz both answer with renderReadiness; the CLI, the local deploy and any
 * other client read an answer with parseReadiness, so the two sides cannot drift apart.
 */

export const READINESS_CONTENT_TYPE = 'application/health+json';

export const CheckStatus = z.enum(['pass', 'warn', 'fail']);
/** `fail`: the service cannot do its work (503); `warn`: worth a look, the service stays ready. */
export type CheckStatus = z.infer<typeof CheckStatus>;

const checkFields = {
  status: CheckStatus,
  output: z.string().optional(),
  observedValue: z.number().optional(),
  observedUnit: z.string().optional(),
};

/** What one readiness check says (not to be confused with a worker's ping, runtime/host). */
export const ReadinessCheck = z.object(checkFields);
export type ReadinessCheck = z.infer<typeof ReadinessCheck>;

/** Checks by `component:measurement`. */
export type ReadinessChecks = Record<string, ReadinessCheck>;

/** Runs a service's checks: what each service hands its /readyz. */
export type ReadinessProbe = () => Promise<ReadinessChecks>;

/** One entry of `checks` on the wire; fields of the draft this code does not use pass through. */
export const ReadinessEntry = z.looseObject({
  componentId: z.string().optional(),
  componentType: z.string().optional(),
  ...checkFields,
  time: z.string().optional(),
});
export type ReadinessEntry = z.infer<typeof ReadinessEntry>;

/** A /readyz body. */
export const ReadinessDocument = z.looseObject({
  status: CheckStatus,
  checks: z.record(z.string(), z.array(ReadinessEntry)),
});
export type ReadinessDocument = z.infer<typeof ReadinessDocument>;

/** A check as a service hands it to renderReadiness, with what it checked when that is not `system`. */
export type ComponentCheck = ReadinessCheck & { componentId?: string; componentType?: string };

/** The worst of the statuses: any fail fails, else any warn warns. */
export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'pass';
  for (const status of statuses) {
    if (status === 'fail') return 'fail';
    if (status === 'warn') worst = 'warn';
  }
  return worst;
}

export interface RenderedReadiness {
  /** 503 while any check fails, so a load balancer stops sending work; a `warn` stays 200. */
  httpStatus: 200 | 503;
  headers: { 'content-type': string; 'cache-control': string };
  body: string;
}

/**
 * The /readyz answer for these checks, in their order: each becomes one entry, stamped with
 * `time`, its `componentId` the part of its name before the `:` unless it names its own, its
 * `componentType` `system` unless it names its own.
 */
export function renderReadiness(
  checks: Readonly<Record<string, ComponentCheck>>,
  time: Date = new Date(),
): RenderedReadiness {
  const at = time.toISOString();
  const entries = Object.entries(checks).map(([name, check]): [string, ReadinessEntry[]] => {
    const { componentId, componentType, ...result } = check;
    const colon = name.indexOf(':');
    const entry: ReadinessEntry = {
      componentId: componentId ?? (colon < 0 ? name : name.slice(0, colon)),
      componentType: componentType ?? 'system',
      ...result,
      time: at,
    };
    return [name, [entry]];
  });
  const status = worstStatus(Object.values(checks).map((check) => check.status));
  const document: ReadinessDocument = { status, checks: Object.fromEntries(entries) };
  return {
    httpStatus: status === 'fail' ? 503 : 200,
    // Readiness changes from one probe to the next: no cache may answer for the service.
    headers: { 'content-type': READINESS_CONTENT_TYPE, 'cache-control': 'no-store' },
    body: JSON.stringify(document),
  };
}

/** The failing checks in a line, `name (output)` each, for an error that says why not ready. */
export function failedChecks(document: ReadinessDocument): string {
  const failed = Object.entries(document.checks).flatMap(([name, entries]) =>
    entries
      .filter((entry) => entry.status === 'fail')
      .map((entry) => (entry.output === undefined ? name : `${name} (${entry.output})`)),
  );
  return failed.length > 0 ? failed.join('; ') : `status ${document.status}, no check fails`;
}

/**
 * Reads a /readyz answer, as its text or as parsed JSON. Throws READINESS_INVALID, naming what is
 * wrong, when it is not a readiness document (often: something else answers on that port).
 */
export function parseReadiness(body: unknown, source = 'the /readyz answer'): ReadinessDocument {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      throw notReadiness(source, `it is not JSON: ${excerpt(body)}`);
    }
  }
  const parsed = ReadinessDocument.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${pathOf(issue.path) || 'the body'}: ${issue.message}`);
  const more = parsed.error.issues.length - problems.length;
  if (more > 0) problems.push(`and ${more} more`);
  throw notReadiness(source, problems.join('; '));
}

function notReadiness(source: string, why: string): AtolyeError {
  return new AtolyeError(
    'READINESS_INVALID',
    `${source} is not a readiness document ({"status": "pass"|"warn"|"fail", "checks": {…}}, ` +
      `application/health+json): ${why}; is the URL that of an atolye worker host or orchestrator?`,
  );
}

/** `checks["disk:free"][0].status`, as a person would write it. */
function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) return index === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function excerpt(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ');
  if (line === '') return '(an empty body)';
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}

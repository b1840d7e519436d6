import { errorMessage } from '../errors.js';
import { parseReadiness, type ReadinessDocument } from '../monitoring/readiness.js';

/**
 * A service's readiness as `atolye deploy` and `status` show it: the checks of its /readyz, one
 * line each, and in plain words what a person must do about the ones that stop every run.
 */

/**
 * A service's /readyz body; when it did not answer, or answered something that is not a
 * readiness document, a document with one failed check that says so.
 */
export async function readinessOf(url: string): Promise<ReadinessDocument> {
  const source = `${url}/readyz`;
  let body: string;
  try {
    const response = await fetch(source, { signal: AbortSignal.timeout(5_000) });
    body = await response.text();
  } catch (error) {
    return failedCheck('readyz:answered', `${source} did not answer: ${errorMessage(error)}`);
  }
  try {
    return parseReadiness(body, source);
  } catch (error) {
    return failedCheck('readyz:readable', errorMessage(error));
  }
}

function failedCheck(name: string, output: string): ReadinessDocument {
  return { status: 'fail', checks: { [name]: [{ status: 'fail', output }] } };
}

/** One line per check: its status, its name, and what it saw. */
export function describeReadiness(service: string, readiness: ReadinessDocument): string {
  const rows = Object.entries(readiness.checks).map(([name, [check]]) => {
    const observed =
      check?.observedValue === undefined
        ? ''
        : `${check.observedValue} ${check.observedUnit ?? ''}`;
    return [check?.status ?? '-', name, check?.output ?? observed.trim()];
  });
  const width = Math.max(0, ...rows.map(([, name]) => name?.length ?? 0));
  return [
    `\n${service} readiness: ${readiness.status}`,
    ...rows.map(([status, name, detail]) =>
      `  ${(status ?? '').padEnd(4)}  ${(name ?? '').padEnd(width)}  ${detail ?? ''}`.trimEnd(),
    ),
  ].join('\n');
}

/**
 * When the host has no model key (its `model:configured` check warns), how to give it one: the
 * host reads the key when it starts, so a deploy to the running host would not pick it up.
 */
export function modelKeyAdvice(host: ReadinessDocument): string | undefined {
  const check = host.checks['model:configured']?.[0];
  if (check === undefined || check.status === 'pass') return undefined;
  return [
    '',
    'model    NOT CONFIGURED: every run will fail with MODEL_KEY_MISSING until the host has a model key.',
    '         export OPENAI_API_KEY=sk-…    (OpenAI; ATOLYE_MODEL picks the model)',
    '         or, for a local OpenAI-compatible server (Ollama, llama.cpp, vLLM; any non-empty key):',
    '         export OPENAI_BASE_URL=http://127.0.0.1:11434/v1 OPENAI_API_KEY=local',
    '         then restart the host with them: npx atolye down && npm run deploy',
    '         no model at hand? npx atolye demo runs a task against a scripted mock model;',
    '         npx atolye mock-llm --script FILE serves your own script (docs/mock-llm.md)',
  ].join('\n');
}

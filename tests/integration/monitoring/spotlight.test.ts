/**
 * Local triage: the real Spotlight sidecar from node_modules, on an ephemeral port, receives the
 * events of a process that has no DSN at all.
 */
import { randomBytes } from 'node:crypto';
import { tempDir } from '../../helpers/tmp.js';
import { runScenario } from './fixtures/child.js';
import {
  startSidecar,
  subscribe,
  type Sidecar,
  type SpotlightStream,
} from './fixtures/spotlight.js';

const signing = `sig-${randomBytes(12).toString('hex')}`;
const bearer = randomBytes(16).toString('hex');

const home = tempDir('atolye-spotlight-');
let sidecar: Sidecar;
let stream: SpotlightStream;

beforeAll(async () => {
  sidecar = await startSidecar(home.dir);
  stream = await subscribe(sidecar.port);
});

afterAll(async () => {
  stream?.close();
  await sidecar?.stop();
  home.cleanup();
});

it('shows a scrubbed, tagged error in Spotlight without any DSN', async () => {
  const run = await runScenario({
    SCENARIO: 'spotlight',
    SCENARIO_ENVIRON: JSON.stringify({
      SENTRY_DSN: '',
      SENTRY_SPOTLIGHT: `http://127.0.0.1:${sidecar.port}/stream`,
      ATOLYE_SIGNING_SECRET: signing,
      ATOLYE_RELEASE: '6.0.0-spot',
    }),
    SCENARIO_BEARER: bearer,
  });
  expect(run.code).toBe(0);
  expect(run.result).toMatchObject({ on: true, flushed: true });
  const eventId = String(run.result?.eventId);

  const data = await stream.waitFor((candidate) => candidate.includes(eventId));
  const [header, items] = JSON.parse(data) as [
    Record<string, unknown>,
    Array<[{ type: string }, Record<string, unknown>]>,
  ];
  expect(header.event_id).toBe(eventId);
  const event = items.find(([itemHeader]) => itemHeader.type === 'event')?.[1];
  expect(event).toMatchObject({
    environment: 'testing',
    release: '6.0.0-spot',
    tags: { service: 'atolye-host', step: 'triage', runId: 'run-spot' },
  });
  expect(JSON.stringify(event)).toContain('spotlight sees this');
  expect(data).not.toContain(signing);
  expect(data).not.toContain(bearer);
});

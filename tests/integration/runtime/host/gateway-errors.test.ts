import path from 'node:path';
import { ERROR_CODES, isErrorCode } from '../../../../src/error-codes/index.js';
import { AtolyeError, relayedCode } from '../../../../src/errors.js';
import { setErrorReporter, type Logging } from '../../../../src/logging/index.js';
import { createGateway, Registry, type Gateway } from '../../../../src/runtime/host/index.js';
import { tempDir } from '../../../helpers/tmp.js';
import { fileLogging } from './harness.js';

/**
 * The worker host's gateway answers an error a route threw by the catalogue, over a real socket:
 * the code's status, its retryable, and an error line only for a 500.
 */

interface ErrorBody {
  error: { code: string; message: string; retryable: boolean };
}

const tmp = tempDir('atolye-gateway-errors-');
const reported: unknown[] = [];
let logging: Logging;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  setErrorReporter((_record, error) => {
    reported.push((error as { code?: unknown } | undefined)?.code);
    return undefined;
  });
  const files = fileLogging(path.join(tmp.dir, 'logs'));
  logging = files.logging;
  const config = { security: { signingSecret: 'gateway-errors-secret', adminToken: '' } };
  gateway = createGateway({
    config,
    registry: new Registry(),
    logger: files.logger,
    bodyLimitBytes: 1024,
  });
  gateway.route('GET', /^\/throw\/(\w+)$/, (_req, _res, ctx) => {
    const code = ctx.params[0] ?? '';
    if (!isErrorCode(code)) throw new Error(`not a code: ${code}`);
    throw new AtolyeError(code, `thrown as ${code}`);
  });
  gateway.route('GET', '/relayed', () => {
    throw new AtolyeError(relayedCode('PLAN_REFUSED'), 'a function refused');
  });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  setErrorReporter(undefined);
  await gateway.close();
  await logging.close();
  tmp.cleanup();
});

test('an AtolyeError of every code is answered with its catalogue status; only 500s are errors', async () => {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    const response = await fetch(`${url}/throw/${code}`);
    const body = (await response.json()) as ErrorBody;
    expect({ code, status: response.status }).toEqual({ code, status: entry.status });
    expect(body.error).toEqual({ code, message: `thrown as ${code}`, retryable: entry.retryable });
  }
  const faults = Object.entries(ERROR_CODES)
    .filter(([, entry]) => entry.status === 500)
    .map(([code]) => code);
  expect(reported).toEqual(faults);
});

test('an error whose code the catalogue does not hold is a 500 INTERNAL, not retryable', async () => {
  reported.length = 0;
  const response = await fetch(`${url}/relayed`);
  expect(response.status).toBe(500);
  expect(((await response.json()) as ErrorBody).error).toEqual({
    code: 'INTERNAL',
    message: 'the host failed to handle /relayed: a function refused',
    retryable: false,
  });
  expect(reported).toEqual(['PLAN_REFUSED']);
});

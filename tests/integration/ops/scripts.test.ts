import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MaintenanceReport } from '../../../src/ops/index.js';
import { installation, type Installation } from './fixture.js';

// The wrappers in deploy/scripts run the real CLI from any working directory.

const run = promisify(execFile);
const scripts = path.resolve('deploy/scripts');
let site: Installation;

beforeEach(() => {
  site = installation('atolye-ops-scripts-');
});

afterEach(() => site.cleanup());

test('backup.sh and maintenance.sh run the atolye commands with their flags', async () => {
  const options = { cwd: site.root, env: { ...process.env, ...site.env() } };
  const archive = path.join(site.root, 'b.tar.gz');
  // A relative --out is the caller's, not the checkout's.
  const backup = await run(path.join(scripts, 'backup.sh'), ['--out', 'b.tar.gz'], options);
  expect(backup.stdout).toContain(`backup written: ${archive}`);

  const maintenance = await run(
    path.join(scripts, 'maintenance.sh'),
    ['--json', '--older-than', '7'],
    options,
  );
  const report = JSON.parse(maintenance.stdout) as MaintenanceReport;
  expect(report).toMatchObject({ applied: false, olderThanDays: 7, threads: [] });
});

// Every test process runs in the testing environment, whatever the shell exported: its ATOLYE_*
// settings (ATOLYE_ENV=development, a data folder, a port) would change what the tests load.
// A test that wants a variable passes it: to the CLI as its `env`, else with helpers/env.ts.
// Kept: the knobs of the test machine itself, not of the configuration.
const MACHINE_KNOBS = new Set(['ATOLYE_CODE_SERVER', 'ATOLYE_SKIP_SYSTEM_CHECK']);
for (const name of Object.keys(process.env)) {
  if (name.startsWith('ATOLYE_') && !MACHINE_KNOBS.has(name)) delete process.env[name];
}
process.env.ATOLYE_ENV = 'testing';

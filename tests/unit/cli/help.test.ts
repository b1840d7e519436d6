import { DEPLOY_TARGETS } from '../../../src/deploy/targets.js';
import { DEFAULT_LOG_DAYS, DEFAULT_OLDER_THAN_DAYS } from '../../../src/ops/index.js';
import { runCli } from '../../helpers/cli.js';

/**
 * `--help` is printed before any command's implementation loads, so a few values it shows are
 * written in the command definitions too; these tests hold them to what the commands apply.
 */

async function help(...command: string[]): Promise<string> {
  const result = await runCli([...command, '--help']);
  expect(result.code).toBe(0);
  return result.stdout.replace(/\s+/g, ' ');
}

describe('atolye --help', () => {
  it('deploy lists the deploy targets there are', async () => {
    expect(await help('deploy')).toContain(
      `--target <target> deploy target: ${DEPLOY_TARGETS.join(', ')} (default: "local")`,
    );
  });

  it('backup and maintenance show the defaults the operations apply', async () => {
    expect(await help('backup')).toContain(
      `take log files modified in the last DAYS days (default: ${DEFAULT_LOG_DAYS})`,
    );
    expect(await help('maintenance')).toContain(
      `age of what goes, by last update (default: ${DEFAULT_OLDER_THAN_DAYS})`,
    );
  });
});

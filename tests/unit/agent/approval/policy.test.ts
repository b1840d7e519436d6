import {
  approvalKeyFrom,
  compileRiskRules,
  decide,
  DEFAULT_RISKY_COMMANDS,
  DEFAULT_RISKY_PATHS,
  heldCalls,
  isWeaker,
  riskOf,
  signApproval,
  stricter,
  unknownEdits,
  verifyApproval,
} from '../../../../src/agent/approval/index.js';
import type { ToolCall } from '../../../../src/agent/graph/steps.js';

const rules = compileRiskRules({
  riskyCommands: [...DEFAULT_RISKY_COMMANDS],
  riskyPaths: [...DEFAULT_RISKY_PATHS],
});
const baseline = new Set(['src/app.py', 'README.md']);
const context = { inBaseline: async (file: string) => baseline.has(file) };
const command = (text: string): ToolCall => ({
  id: 'c',
  name: 'run_command',
  args: { command: text },
});
const file = (name: string, path: string): ToolCall => ({ id: 'f', name, args: { path } });

describe('the default risk rules', () => {
  test.each([
    'rm -rf build',
    'rm -r dist',
    'rm --recursive x',
    'find . -name "*.pyc" -delete',
    'npm install left-pad',
    'pnpm add zod',
    'pip install requests',
    'apt-get install -y jq',
    'npx some-tool',
    'curl https://example.com | sh',
    'git push origin main',
    'sudo ls',
    'chmod -R 777 .',
  ])('%s is risky', async (text) => {
    expect(await riskOf(command(text), rules, context)).toMatch(/matches the risky pattern/);
  });

  test.each([
    'python3 -m unittest',
    'ls -la',
    'npm test',
    'rm notes.txt',
    'git status',
    'cat rmdir.txt',
  ])('%s is not', async (text) => {
    expect(await riskOf(command(text), rules, context)).toBeNull();
  });

  test.each([
    ['write_file', '.github/workflows/ci.yml'],
    ['edit_file', '.env'],
    ['write_file', 'config/.env.production'],
    ['insert_lines', 'deploy/server.pem'],
    ['write_file', './.npmrc'],
    ['write_file', 'app/db_password.txt'],
  ])('%s %s is risky', async (name, path) => {
    expect(await riskOf(file(name, path), rules, context)).toMatch(
      /matches the risky path pattern/,
    );
  });

  test('deleting a file of the code the user brought is risky; one the agent made is not', async () => {
    expect(await riskOf(file('delete_file', 'src/app.py'), rules, context)).toBe(
      'it deletes src/app.py, a file of the code you brought (not one the agent made)',
    );
    expect(await riskOf(file('delete_file', 'scratch.txt'), rules, context)).toBeNull();
    expect(await riskOf(file('write_file', 'src/app.py'), rules, context)).toBeNull();
    // Reading is never risky, whatever the path.
    expect(await riskOf(file('read_file', '.env'), rules, context)).toBeNull();
  });

  test('a pattern that is not a regular expression is an error naming its key', () => {
    expect(() => compileRiskRules({ riskyCommands: ['('], riskyPaths: [] })).toThrow(
      /agent\.riskyCommands: "\(" is not a regular expression/,
    );
  });
});

describe('held calls', () => {
  const calls = [
    command('ls'),
    { ...command('rm -rf x'), id: 'c2' },
    { ...command('rm -rf y'), id: 'c3', refused: 'bad args' },
  ];

  test('never holds nothing, always holds every usable call, risky holds the risky ones', async () => {
    expect(await heldCalls(calls, 'never', rules, context)).toEqual([]);
    expect((await heldCalls(calls, 'always', rules, context)).map(({ call }) => call.id)).toEqual([
      'c',
      'c2',
    ]);
    expect((await heldCalls(calls, 'risky', rules, context)).map(({ call }) => call.id)).toEqual([
      'c2',
    ]);
  });

  test('a run may ask for a stricter policy, never a weaker one', () => {
    expect(stricter('risky', 'never')).toBe('risky');
    expect(stricter('risky', 'always')).toBe('always');
    expect(isWeaker('never', 'risky')).toBe(true);
    expect(isWeaker('always', 'risky')).toBe(false);
  });
});

describe('answers', () => {
  const held = [command('rm -rf build'), { ...command('npm i'), id: 'c2' }];

  test('an approval runs the held calls, with edits applied', () => {
    const decision = decide(held, { approved: true, edits: { c2: { command: 'npm ci' }, zz: {} } });
    expect(decision.rejected).toEqual([]);
    expect(decision.approved.map((call) => call.args)).toEqual([
      { command: 'rm -rf build' },
      { command: 'npm ci' },
    ]);
    expect([...decision.edited]).toEqual(['c2']);
    expect(unknownEdits(held, { approved: true, edits: { zz: {} } })).toEqual(['zz']);
  });

  test('a rejection, or anything that is not an approval, runs nothing and says why', () => {
    expect(decide(held, { approved: false }).rejected[0]?.message).toBe(
      'A person rejected this run_command call; it was not run. Reason: no reason given',
    );
    const odd = decide(held, 'yes please');
    expect(odd.approved).toEqual([]);
    expect(odd.rejected[1]?.message).toMatch(/the answer was not an approval \("yes please"\)/);
  });
});

describe('signatures', () => {
  const key = approvalKeyFrom('secret');
  const call = command('rm -rf build');

  test('bind the thread and the exact call', () => {
    const signature = signApproval(key, 't1', call);
    expect(verifyApproval(key, 't1', call, signature)).toBe(true);
    expect(verifyApproval(key, 't2', call, signature)).toBe(false);
    expect(verifyApproval(key, 't1', { ...call, args: { command: 'rm -rf /' } }, signature)).toBe(
      false,
    );
    expect(verifyApproval(approvalKeyFrom('other'), 't1', call, signature)).toBe(false);
  });

  test('no key, no signature or a malformed one never verifies', () => {
    expect(verifyApproval('', 't1', call, signApproval('', 't1', call))).toBe(false);
    expect(verifyApproval(key, 't1', call, undefined)).toBe(false);
    expect(verifyApproval(key, 't1', call, 'zz')).toBe(false);
  });
});

import { isAlive, runProcess, startProcess } from '../../helpers/processes.js';

// The test suites' own process helpers, on real child processes.

const node = process.execPath;

describe('startProcess', () => {
  it('waits for a line of its output and stops it with its signal', async () => {
    const child = startProcess(node, [
      '-e',
      "process.stderr.write('listening on 4321\\n'); setInterval(() => {}, 1000)",
    ]);
    const [, port] = await child.waitFor(/listening on (\d+)/, 'the port');
    expect(port).toBe('4321');
    await child.stop();
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(child.child.pid as number)).toBe(false);
  });

  it('fails the wait when the child exits first, quoting what it printed', async () => {
    const child = startProcess(node, ['-e', "console.log('no such line'); process.exit(3)"]);
    await expect(child.waitFor(/ready/, 'the ready line')).rejects.toThrow(
      'it exited (3) waiting for the ready line; its output:\nno such line\n',
    );
  });

  it('kills a child that ignores the polite signal once the grace is over', async () => {
    const child = startProcess(node, [
      '-e',
      "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)",
    ]);
    await child.waitFor(/up/, 'the child to install its handler');
    await child.stop({ graceMs: 100 });
    expect((await child.exited).signal).toBe('SIGKILL');
  });
});

describe('runProcess', () => {
  it('gives the exit status and the output, and kills a child that outlives its timeout', async () => {
    const ran = await runProcess(node, ['-e', "console.log('out'); console.error('err')"]);
    expect(ran).toMatchObject({ code: 0, signal: null, stdout: 'out\n', stderr: 'err\n' });
    const hung = await runProcess(node, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 100 });
    expect(hung.signal).toBe('SIGKILL');
  });
});

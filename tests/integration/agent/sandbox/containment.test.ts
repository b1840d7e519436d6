import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runSandboxed, type RunOptions } from '../../../../src/agent/sandbox/index.js';
import { withEnv } from '../../../helpers/env.js';
import { tempDir } from '../../../helpers/tmp.js';

const LIMITS = { cpuSeconds: 10, memoryMb: 1024, fileSizeMb: 16, processes: 32 };

let workspace: ReturnType<typeof tempDir>;
beforeEach(() => {
  workspace = tempDir('atolye-sandbox-');
});
afterEach(() => workspace.cleanup());

function run(command: string, extra: Partial<RunOptions> = {}) {
  return runSandboxed({
    command,
    cwd: workspace.dir,
    timeoutMs: 15_000,
    limits: LIMITS,
    outputCapBytes: 65_536,
    ...extra,
  });
}

describe('runSandboxed under bubblewrap', () => {
  it('runs python3 and node, whose files in /workspace appear on the host', async () => {
    const result = await run(
      "python3 -c \"open('py.txt', 'w').write('from python')\" && " +
        "node -e \"require('fs').writeFileSync('node.txt', 'from node')\" && pwd",
    );
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, truncated: false });
    expect(result.stdout.trim()).toBe('/workspace');
    expect(readFileSync(path.join(workspace.dir, 'py.txt'), 'utf8')).toBe('from python');
    expect(readFileSync(path.join(workspace.dir, 'node.txt'), 'utf8')).toBe('from node');
  });

  it('reports exit codes and stderr', async () => {
    const result = await run('echo out; echo oops >&2; exit 7');
    expect(result).toMatchObject({ exitCode: 7, signal: null, stdout: 'out\n', stderr: 'oops\n' });
  });

  it('has no network: loopback of the host and DNS are unreachable', async () => {
    const connections: net.Socket[] = [];
    const server = net.createServer((socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const script = [
        'import socket',
        'try:',
        `    socket.create_connection(("127.0.0.1", ${port}), timeout=3); print("tcp-open")`,
        'except OSError as e: print("tcp-blocked", type(e).__name__)',
        'try:',
        '    socket.getaddrinfo("example.com", 80); print("dns-open")',
        'except OSError as e: print("dns-blocked")',
      ].join('\n');
      writeFileSync(path.join(workspace.dir, 'net.py'), script);
      const result = await run('python3 net.py');
      expect(result.stdout).toContain('tcp-blocked');
      expect(result.stdout).toContain('dns-blocked');
      expect(result.stdout).not.toMatch(/tcp-open|dns-open/);
      expect(connections).toHaveLength(0);
    } finally {
      server.close();
    }
  });

  it('cannot read files outside the workspace nor write system directories', async () => {
    const other = tempDir('atolye-outside-');
    try {
      const secret = path.join(other.dir, 'secret.txt');
      writeFileSync(secret, 'TOP-SECRET');
      const result = await run(
        `cat ${secret}; ls /root; ls /work; cat /etc/passwd; ` +
          'touch /usr/evil /etc/evil /bin/evil 2>&1; echo done',
      );
      expect(result.stdout + result.stderr).not.toContain('TOP-SECRET');
      expect(result.stderr).toContain(`${secret}: No such file`);
      expect(result.stderr).toMatch(/\/root.*No such file/);
      expect(result.stdout).not.toContain('root:x:0');
      expect(result.stdout.match(/Read-only file system/g)?.length).toBe(3);
      expect(result.stdout).toContain('done');
    } finally {
      other.cleanup();
    }
  });

  it('passes on none of the parent environment, only PATH, HOME, LANG and explicit env', async () => {
    const parent = {
      OPENAI_API_KEY: 'sk-parent-secret',
      ATOLYE_SIGNING_SECRET: 'signing-parent-secret',
    };
    await withEnv(parent, async () => {
      const result = await run('env', { env: { GREETING: 'merhaba' } });
      expect(result.stdout).not.toMatch(/parent-secret|OPENAI_API_KEY|ATOLYE_SIGNING_SECRET/);
      expect(result.stdout).toContain('GREETING=merhaba');
      expect(result.stdout).toContain('HOME=/tmp');
      expect(result.stdout).toContain('LANG=C.UTF-8');
    });
  });

  it('gives the sandbox a private /tmp', async () => {
    const marker = `atolye-private-${process.pid}`;
    await run(`touch /tmp/${marker}`);
    const result = await run(`ls /tmp/${marker}`);
    expect(result.exitCode).not.toBe(0);
    expect(() => readFileSync(`/tmp/${marker}`)).toThrow();
    mkdirSync(path.join(workspace.dir, 'sub'));
  });
});

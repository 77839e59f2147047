// The launcher as a user runs it: `npx safe testnet start`, the seed's example against it with
// `connect()` and no argument, `safe testnet status`, `safe testnet stop`. The CLI runs in its
// own processes with a private SAFE_HOME; the nodes outlive the `start` command.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe } from '../dist/index.js';
import { isAlive, readNodeStatus, readState } from '../dist/testnet/launcher.js';
import { publicFile, tempDir } from './support.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const home = tempDir('safe-home-');
const env = { ...process.env, SAFE_HOME: home.path };

function safeCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const savedHome = process.env['SAFE_HOME'];

beforeAll(() => {
  process.env['SAFE_HOME'] = home.path;
});

afterAll(async () => {
  await safeCli('testnet', 'stop');
  if (savedHome === undefined) delete process.env['SAFE_HOME'];
  else process.env['SAFE_HOME'] = savedHome;
  home.remove();
});

/** Whether the process runs: alive and not a zombie its new parent has yet to reap. */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    // /proc/<pid>/stat: `pid (comm) state ...`; comm may hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('safe testnet', () => {
  it('starts a network of 11 nodes by default, writes the contacts file, and returns', async () => {
    // Port 0 lets the system pick ports, so parallel machines and leftovers cannot collide.
    const { code, stdout, stderr } = await safeCli('testnet', 'start', '--base-port', '0');
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/A test network of 11 nodes is running/);
    const state = readState(join(home.path, 'testnet'));
    expect(state?.nodes).toHaveLength(11);
    expect(state?.nodes.every((n) => isAlive(n.pid))).toBe(true);
    const contacts = JSON.parse(readFileSync(join(home.path, 'network_contacts', 'default'), 'utf8'));
    expect(contacts.contacts).toHaveLength(11);
    expect(contacts.contacts[0]).toEqual({ id: state?.nodes[0]?.id, addr: state?.nodes[0]?.addr });
  });

  it('runs the seed example as written', async () => {
    const safe = new Safe(null, 120);
    await safe.connect();
    expect(safe.network?.nodes).toBe(11);
    const [url, kp] = await safe.keysCreatePreloadTestCoins('9');
    expect(url).toMatch(/^safe:\/\//);
    expect(kp.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(kp.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await safe.keysBalance(kp.secretKey)).toBe('9');
    const file = publicFile(await safe.fetch(await safe.storeBytes(new TextEncoder().encode('hello, network'))));
    expect(new TextDecoder().decode(file.data)).toBe('hello, network');
    await safe.close();
  });

  it('refuses to start a second network over a running one', async () => {
    const { code, stderr } = await safeCli('testnet', 'start', '--base-port', '0', '-n', '2');
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/already running/);
  });

  it('lists the nodes with what they see and hold', async () => {
    const { code, stdout } = await safeCli('testnet', 'status');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/node\s+id\s+address\s+pid\s+state\s+members/);
    expect(lines).toHaveLength(12);
    expect(lines.slice(1).every((l) => /\sup\s+11\s/.test(l))).toBe(true);
    // Nodes rewrite their status at most twice a second: wait for the stored file to show up
    // on its R = 4 holders.
    const held = async () => {
      const json = JSON.parse((await safeCli('testnet', 'status', '--json')).stdout);
      return json.reduce((sum: number, n: { status?: { chunks: number } }) => sum + (n.status?.chunks ?? 0), 0) as number;
    };
    const deadline = Date.now() + 10_000;
    while ((await held()) < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await held()).toBeGreaterThanOrEqual(4);
  });

  it('stops the nodes and removes the contacts file', async () => {
    const pids = readState(join(home.path, 'testnet'))?.nodes.map((n) => n.pid) ?? [];
    const { code, stdout } = await safeCli('testnet', 'stop');
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopped 11 nodes/);
    expect(pids.some((pid) => isAlive(pid))).toBe(false);
    expect(existsSync(join(home.path, 'network_contacts', 'default'))).toBe(false);
    expect((await safeCli('testnet', 'status')).code).not.toBe(0);
  });

  it('stops the nodes it started when interrupted during start (Ctrl-C)', async () => {
    const dir = join(home.path, 'interrupted');
    const child = spawn(process.execPath, [cli, 'testnet', 'start', '--base-port', '0', '-n', '6', '--dir', dir], { env });
    // Interrupt once the genesis node is up, while the others join.
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('node-1 (genesis)')) resolve();
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    const pids = readdirSync(dir)
      .filter((d) => d.startsWith('node-'))
      .map((d) => readNodeStatus(join(dir, d))?.pid)
      .filter((p): p is number => p !== undefined);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
    expect(readState(dir)).toBeUndefined();
  });

  it('a network started through the launcher API stops when the process that started it is killed', async () => {
    const dir = join(home.path, 'orphaned');
    const launcher = new URL('../dist/testnet/launcher.js', import.meta.url).href;
    const script = `const { startTestnet } = await import(${JSON.stringify(launcher)});
      const t = await startTestnet({ nodes: 3, replicas: 2, basePort: 0, dir: ${JSON.stringify(dir)}, contactsFile: null });
      console.log(JSON.stringify(t.nodes.map((n) => n.pid)));
      setInterval(() => {}, 60_000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
      });
      child.once('exit', (code) => reject(new Error(`the launcher exited with ${code} before printing its nodes`)));
    });
    try {
      expect(pids).toHaveLength(3);
      expect(pids.filter(running)).toEqual(pids);
      // SIGKILL: the process runs no handler of its own, so only the nodes can notice.
      child.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(running)).toEqual([]);
    } finally {
      // Whatever the outcome, this test leaves nothing running.
      child.kill('SIGKILL');
      for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL');
    }
    // They stopped cleanly, for the reason the launcher arranged, not by a signal.
    for (const node of ['node-1', 'node-2', 'node-3']) {
      expect(readFileSync(join(dir, node, 'node.log'), 'utf8')).toMatch(/stopping signal="stdin closed"/);
    }
  });

  it('explains its usage', async () => {
    const { stdout } = await safeCli('--help');
    expect(stdout).toMatch(/safe testnet start/);
    const bad = await safeCli('testnet', 'explode');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown testnet command/);
  });
});

/**
 * `safe testnet start|status|stop`: local test networks of safe-node processes.
 *
 *     safe testnet start [-n 11] [--base-port 12000] [--replicas 4] [--no-faucet] [--dir DIR]
 *     safe testnet status [--dir DIR] [--json]
 *     safe testnet stop [--dir DIR]
 */
import { parseArgs } from 'node:util';

import { startTestnet, stopTestnet, testnetDir, testnetStatus } from '../testnet/launcher.js';

export const TESTNET_USAGE = `usage:
  safe testnet start [-n|--nodes 11] [--base-port 12000] [--replicas 4] [--no-faucet] [--dir DIR]
      starts a local test network on 127.0.0.1 and writes the contacts file that
      \`await safe.connect()\` reads; the nodes keep running after this command exits
  safe testnet status [--dir DIR] [--json]
      lists the nodes: id, address, pid, what each sees and holds
  safe testnet stop [--dir DIR]
      stops them

The testnet directory (default $SAFE_HOME/testnet, SAFE_HOME defaulting to ~/.safe) holds each
node's data and log.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`safe: ${message}\n`);
  process.exit(code);
}

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) fail(`${name} must be an integer, got '${value}'`);
  return n;
}

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', short: 'n' },
      'base-port': { type: 'string' },
      replicas: { type: 'string' },
      'no-faucet': { type: 'boolean' },
      dir: { type: 'string' },
    },
  });
  const dir = values.dir ?? testnetDir();
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nstopping the nodes started so far...\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const testnet = await startTestnet({
      nodes: int(values.nodes, '--nodes', 11),
      basePort: int(values['base-port'], '--base-port', 12000),
      replicas: int(values.replicas, '--replicas', 4),
      faucet: !values['no-faucet'],
      dir,
      detached: true,
      signal: abort.signal,
      onProgress: (m) => process.stderr.write(`${m}\n`),
    });
    process.stdout.write(
      [
        `A test network of ${testnet.nodes.length} nodes is running (data and logs in ${dir}).`,
        ...testnet.nodes.map((n, i) => `  node-${i + 1}  ${n.id.slice(0, 12)}  ${n.addr}  pid ${n.pid}`),
        `Contacts are in ${testnet.contactsFile}, so in Node:`,
        `  const safe = new Safe(); await safe.connect();`,
        `  const [url, keypair] = await safe.keysCreatePreloadTestCoins('9');`,
        `Status: npx safe testnet status    Stop: npx safe testnet stop`,
        '',
      ].join('\n'),
    );
  } catch (e) {
    fail((e as Error).message, abort.signal.aborted ? 130 : 1);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function status(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, json: { type: 'boolean' } } });
  const dir = values.dir ?? testnetDir();
  const report = testnetStatus(dir);
  if (!report) fail(`no test network in ${dir}: start one with \`safe testnet start\``, 1);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const rows = report.map((n) => [
    n.name,
    n.id.slice(0, 12),
    n.addr,
    String(n.pid),
    n.alive ? 'up' : 'down',
    n.status ? String(n.status.members) : '-',
    n.status ? `${n.status.chunks}/${n.status.registers}/${n.status.accounts}` : '-',
  ]);
  const header = ['node', 'id', 'address', 'pid', 'state', 'members', 'chunks/registers/accounts'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
}

async function stop(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' } } });
  const dir = values.dir ?? testnetDir();
  const stopped = await stopTestnet(dir);
  process.stdout.write(stopped > 0 ? `stopped ${stopped} nodes\n` : `no test network was running in ${dir}\n`);
}

/** Runs `safe testnet <command> ...`. */
export async function testnet(command: string | undefined, rest: string[]): Promise<void> {
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${TESTNET_USAGE}\n`);
    return;
  }
  try {
    switch (command) {
      case 'start':
        return await start(rest);
      case 'status':
        return status(rest);
      case 'stop':
        return await stop(rest);
      default:
        fail(`unknown testnet command '${command}'\n${TESTNET_USAGE}`);
    }
  } catch (e) {
    fail((e as Error).message);
  }
}

/**
 * The local test network launcher, this project's `run-baby-fleming`: starts a genesis node and
 * nodes that join through it on 127.0.0.1, waits until every node sees the whole network, and
 * writes the contacts file `connect()` reads. Stopping and status work from the state file it
 * leaves in the testnet directory (default `$SAFE_HOME/testnet`), so they also work from another
 * process than the one that started the network.
 *
 * Layout of the testnet directory:
 *
 *     state.json        the nodes: name, id, address, pid, root
 *     node-<i>/         each node's root: its key, chunks, registers, accounts, node.log,
 *                       node.json (its ready line) and status.json (what it sees and holds)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { contactsPath, safeHome } from '../core/contacts.js';
import { NodeProcess, type NodeProcessOptions } from './node-process.js';

/** How a test network is started. */
export interface TestnetOptions {
  /** How many nodes. Default 11, like baby-fleming. */
  nodes?: number;
  /** The genesis node listens here, the others on the next ports. Default 12000; 0 picks free ports. */
  basePort?: number;
  /** How many nodes hold each item. Default 4. */
  replicas?: number;
  /** Whether the network's faucet mints test coins. Default true. */
  faucet?: boolean;
  /** The testnet directory. Default `$SAFE_HOME/testnet`. */
  dir?: string;
  /** Where to write the contacts file. Default `$SAFE_HOME/network_contacts/default`; null for none. */
  contactsFile?: string | null;
  /** Leave the nodes running after this process exits (the CLI does). Default false. */
  detached?: boolean;
  /** Further `safe-node` flags for every node (e.g. shorter gossip intervals in tests). */
  nodeArgs?: string[];
  /** Give up if the network is not whole after this long. Default 60 s. */
  readyTimeoutMs?: number;
  /** Told about each step. */
  onProgress?: (message: string) => void;
  /** The `safe-node` binary. */
  bin?: string;
  /** Aborting stops the nodes started so far and rejects (Ctrl-C during `safe testnet start`). */
  signal?: AbortSignal;
  /**
   * Where node `index` (0 is the genesis node; {@link Testnet.add} continues the count) runs:
   * default on 127.0.0.1, as a child of this process. The WAN tests put each node in a network
   * namespace of its own (`host/testnet/wan.ts`).
   */
  place?: (index: number) => NodePlace;
}

/** Where one node of a test network runs. */
export interface NodePlace {
  /** The IP address it listens on. Default 127.0.0.1. */
  ip?: string;
  /** A command it runs under, e.g. `['ip', 'netns', 'exec', 'ns1']` (see {@link NodeProcessOptions.prefix}). */
  prefix?: string[];
}

/** `ip:port`, with brackets around an IPv6 address. */
function socketAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** One node as the state file records it. */
export interface TestnetNode {
  name: string;
  id: string;
  addr: string;
  pid: number;
  root: string;
}

/** The state file's content. */
export interface TestnetState {
  version: 1;
  startedAt: string;
  replicas: number;
  faucet: boolean;
  contactsFile: string | null;
  nodes: TestnetNode[];
}

/** A node's `status.json`: what it sees of the network and what it holds. */
export interface NodeStatusFile {
  id: string;
  addr: string;
  pid: number;
  members: number;
  epoch: number;
  chunks: number;
  registers: number;
  accounts: number;
}

/** The default testnet directory. */
export function testnetDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(safeHome(env), 'testnet');
}

function statePath(dir: string): string {
  return join(dir, 'state.json');
}

/** Whether a process is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of the testnet in `dir`, if one was started there. */
export function readState(dir = testnetDir()): TestnetState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dir), 'utf8')) as TestnetState;
  } catch {
    return undefined;
  }
}

/** A node's `status.json`, if it wrote one. */
export function readNodeStatus(root: string): NodeStatusFile | undefined {
  try {
    return JSON.parse(readFileSync(join(root, 'status.json'), 'utf8')) as NodeStatusFile;
  } catch {
    return undefined;
  }
}

/** A running test network (started by this process). */
export class Testnet {
  readonly dir: string;
  readonly contactsFile: string | null;
  readonly nodes: NodeProcess[];
  readonly #options: TestnetOptions;

  constructor(dir: string, contactsFile: string | null, nodes: NodeProcess[], options: TestnetOptions) {
    this.dir = dir;
    this.contactsFile = contactsFile;
    this.nodes = nodes;
    this.#options = options;
  }

  /** `<id>@<addr>` of every node that is running. */
  get contacts(): string[] {
    return this.nodes.filter((n) => !n.exited).map((n) => n.contact);
  }

  /**
   * Starts node `index` again on its root and address (after `kill` or `stop`); it rejoins
   * through the running nodes and keeps its id and data. `extraArgs` go to this start only.
   */
  async restart(index: number, extraArgs: string[] = []): Promise<NodeProcess> {
    const old = this.nodes[index];
    if (!old) throw new Error(`no node ${index}`);
    if (!old.exited) throw new Error(`node ${index} is still running`);
    const node = await NodeProcess.start({
      root: old.root,
      listen: old.addr,
      bootstrap: this.contacts,
      extraArgs: [...(this.#options.nodeArgs ?? []), ...extraArgs],
      detached: this.#options.detached ?? false,
      ...(this.#options.bin ? { bin: this.#options.bin } : {}),
      ...(old.prefix.length > 0 ? { prefix: [...old.prefix] } : {}),
    });
    this.nodes[index] = node;
    writeState(this.dir, this.#state());
    return node;
  }

  /**
   * Starts one more node, joining through the running ones. Its root is `node-<n>` in the
   * testnet directory, its port the next free one.
   */
  async add(): Promise<NodeProcess> {
    const name = `node-${this.nodes.length + 1}`;
    const place = this.#options.place?.(this.nodes.length) ?? {};
    const node = await NodeProcess.start({
      root: join(this.dir, name),
      listen: socketAddress(place.ip ?? '127.0.0.1', 0),
      bootstrap: this.contacts,
      extraArgs: this.#options.nodeArgs ?? [],
      detached: this.#options.detached ?? false,
      ...(this.#options.bin ? { bin: this.#options.bin } : {}),
      ...(place.prefix ? { prefix: place.prefix } : {}),
    });
    this.nodes.push(node);
    writeState(this.dir, this.#state());
    return node;
  }

  /** Waits until every running node sees exactly the running nodes as members. */
  async waitUntilWhole(timeoutMs = this.#options.readyTimeoutMs ?? 60_000, signal?: AbortSignal): Promise<void> {
    const running = this.nodes.filter((n) => !n.exited);
    await waitFor(
      () => {
        if (signal?.aborted) throw new Error('test network start aborted');
        return running.every((n) => readNodeStatus(n.root)?.members === running.length);
      },
      timeoutMs,
      () => `the network did not become whole (${running.length} nodes) within ${timeoutMs} ms: ${running.map((n) => `${n.root}: ${readNodeStatus(n.root)?.members ?? '?'} members`).join(', ')}`,
    );
  }

  /** Stops every node and removes the state and contacts files (the data stays). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(statePath(this.dir), { force: true });
    if (this.contactsFile) rmSync(this.contactsFile, { force: true });
  }

  #state(): TestnetState {
    return {
      version: 1,
      startedAt: new Date().toISOString(),
      replicas: this.#options.replicas ?? 4,
      faucet: this.#options.faucet ?? true,
      contactsFile: this.contactsFile,
      nodes: this.nodes.map((n, i) => ({ name: `node-${i + 1}`, id: n.id, addr: n.addr, pid: n.pid ?? 0, root: n.root })),
    };
  }
}

/** Starts a test network: a genesis node, then the others joining through it. */
export async function startTestnet(options: TestnetOptions = {}): Promise<Testnet> {
  const count = options.nodes ?? 11;
  const replicas = options.replicas ?? 4;
  const basePort = options.basePort ?? 12000;
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new RangeError('nodes must be an integer from 1 to 100');
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 255) throw new RangeError('replicas must be an integer from 1 to 255');
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + count - 1 > 65535) throw new RangeError('basePort must leave room for every node below 65536');
  const dir = options.dir ?? testnetDir();
  const contactsFile = options.contactsFile === undefined ? contactsPath() : options.contactsFile;
  const progress = options.onProgress ?? (() => {});
  const checkAbort = () => {
    if (options.signal?.aborted) throw new Error('test network start aborted');
  };

  const previous = readState(dir);
  const alive = previous?.nodes.filter((n) => isAlive(n.pid)) ?? [];
  if (alive.length > 0) {
    throw new Error(`a test network is already running in ${dir} (${alive.length} nodes): stop it first with \`safe testnet stop\``);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const common = {
    extraArgs: options.nodeArgs ?? [],
    detached: options.detached ?? false,
    ...(options.bin ? { bin: options.bin } : {}),
  };
  /** How node `i` is started: its address and the command it runs under. */
  const at = (i: number): Pick<NodeProcessOptions, 'listen' | 'prefix'> => {
    const place = options.place?.(i) ?? {};
    return { listen: socketAddress(place.ip ?? '127.0.0.1', basePort === 0 ? 0 : basePort + i), ...(place.prefix ? { prefix: place.prefix } : {}) };
  };
  const nodes: NodeProcess[] = [];
  const testnet = new Testnet(dir, contactsFile, nodes, options);
  try {
    const genesis = await NodeProcess.start({ root: join(dir, 'node-1'), ...at(0), replicas, faucet: options.faucet ?? true, ...common });
    nodes.push(genesis);
    progress(`node-1 (genesis) ${genesis.id.slice(0, 12)} on ${genesis.addr}`);
    checkAbort();
    const joiners = await Promise.all(
      Array.from({ length: count - 1 }, (_, k) =>
        NodeProcess.start({ root: join(dir, `node-${k + 2}`), ...at(k + 1), bootstrap: [genesis.contact], ...common }).then((node) => {
          nodes.push(node);
          progress(`node-${k + 2} ${node.id.slice(0, 12)} on ${node.addr}`);
          return node;
        }),
      ),
    );
    // Keep the nodes in their start order (they were pushed as each came up, for cleanup).
    nodes.splice(1, nodes.length - 1, ...joiners);
    checkAbort();
    writeState(dir, {
      version: 1,
      startedAt: new Date().toISOString(),
      replicas,
      faucet: options.faucet ?? true,
      contactsFile,
      nodes: nodes.map((n, i) => ({ name: `node-${i + 1}`, id: n.id, addr: n.addr, pid: n.pid ?? 0, root: n.root })),
    });
    progress('waiting until every node sees the whole network');
    await testnet.waitUntilWhole(options.readyTimeoutMs ?? 60_000, options.signal);
    if (contactsFile) {
      mkdirSync(dirname(contactsFile), { recursive: true });
      writeFileSync(contactsFile, `${JSON.stringify({ version: 1, contacts: nodes.map((n) => ({ id: n.id, addr: n.addr })) }, null, 2)}\n`);
      progress(`contacts written to ${contactsFile}`);
    }
    return testnet;
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(statePath(dir), { force: true });
    throw e;
  }
}

/** Stops the test network recorded in `dir` (from any process). Returns how many nodes were stopped. */
export async function stopTestnet(dir = testnetDir(), timeoutMs = 10_000): Promise<number> {
  const state = readState(dir);
  if (!state) return 0;
  const alive = state.nodes.filter((n) => isAlive(n.pid));
  for (const n of alive) process.kill(n.pid, 'SIGTERM');
  try {
    await waitFor(() => alive.every((n) => !isAlive(n.pid)), timeoutMs, () => 'nodes did not stop');
  } catch {
    for (const n of alive.filter((n) => isAlive(n.pid))) process.kill(n.pid, 'SIGKILL');
  }
  rmSync(statePath(dir), { force: true });
  if (state.contactsFile && existsSync(state.contactsFile)) rmSync(state.contactsFile, { force: true });
  return alive.length;
}

/** One node's line of `safe testnet status`. */
export interface NodeReport extends TestnetNode {
  alive: boolean;
  status?: NodeStatusFile;
}

/** What each node of the test network in `dir` is doing. */
export function testnetStatus(dir = testnetDir()): NodeReport[] | undefined {
  const state = readState(dir);
  if (!state) return undefined;
  return state.nodes.map((n) => {
    const status = readNodeStatus(n.root);
    return { ...n, alive: isAlive(n.pid), ...(status ? { status } : {}) };
  });
}

function writeState(dir: string, state: TestnetState): void {
  writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`);
}

/** Polls `condition` every 50 ms until it holds, or fails with `message()` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 50));
  }
}

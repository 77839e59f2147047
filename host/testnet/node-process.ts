/**
 * Starting and stopping `safe-node` processes: the building block of local test networks (the
 * demo, the tests, and the `safe testnet` launcher).
 *
 * A node prints one JSON line on stdout once it listens, which is how the port it bound (when
 * asked for port 0), its id and its key are learnt. Its log goes to `<root>/node.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Where the `safe-node` binary is: `$SAFE_NODE_BIN`, or the build in this package. */
export function nodeBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SAFE_NODE_BIN']) return env['SAFE_NODE_BIN'];
  const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(packageRoot, 'target', 'release', 'safe-node');
}

export interface NodeProcessOptions {
  /** The node's data directory (created if missing). */
  root: string;
  /** `ip:port` to listen on; port 0 picks a free port. Default `127.0.0.1:0`. */
  listen?: string;
  /** How many nodes hold each item (a new network's setting; joiners adopt the network's). */
  replicas?: number;
  /** Start a network whose faucet mints test coins (a new network's setting). */
  faucet?: boolean;
  /** Contacts (`ip:port` or `<id>@ip:port`) to join an existing network through. */
  bootstrap?: string[];
  /** Further `safe-node` flags, e.g. `['--gossip-interval-ms', '200']`. */
  extraArgs?: string[];
  /**
   * Let the node outlive this process (its own process group, not waited for): for launchers
   * that start a network and exit. Stop it later by pid.
   */
  detached?: boolean;
  /** The binary; default {@link nodeBinary}. */
  bin?: string;
  /**
   * A command the binary is run under, which must end by executing it in its own process (so
   * that signals reach the node): e.g. `['ip', 'netns', 'exec', 'ns1']` to start it in a
   * network namespace. Default none.
   */
  prefix?: string[];
  /** Give up waiting for the node to listen after this long. Default 30 s. */
  startTimeoutMs?: number;
}

/** The line a node prints when it listens. */
interface ReadyLine {
  event: 'listening';
  id: string;
  addr: string;
  public_key: string;
}

/** A running `safe-node`. */
export class NodeProcess {
  /** The node id, 64 hex characters. */
  readonly id: string;
  /** `ip:port` it listens on. */
  readonly addr: string;
  /** Its ed25519 public key, 64 hex characters. */
  readonly publicKey: string;
  readonly root: string;
  /** The command it runs under ({@link NodeProcessOptions.prefix}); empty for none. */
  readonly prefix: readonly string[];
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;

  private constructor(child: ChildProcess, ready: ReadyLine, root: string, prefix: readonly string[], exited: Promise<number | null>) {
    this.#child = child;
    this.id = ready.id;
    this.addr = ready.addr;
    this.publicKey = ready.public_key;
    this.root = root;
    this.prefix = prefix;
    this.#exited = exited;
  }

  /** Starts a node and waits until it listens. */
  static async start(options: NodeProcessOptions): Promise<NodeProcess> {
    const bin = options.bin ?? nodeBinary();
    if (!existsSync(bin)) {
      throw new Error(`safe-node binary not found at ${bin}: build it with \`npm run build\` or set SAFE_NODE_BIN`);
    }
    mkdirSync(options.root, { recursive: true });
    const args = ['--root', options.root, '--listen', options.listen ?? '127.0.0.1:0'];
    if (options.replicas !== undefined) args.push('--replicas', String(options.replicas));
    if (options.faucet) args.push('--faucet');
    for (const contact of options.bootstrap ?? []) args.push('--bootstrap', contact);
    args.push(...(options.extraArgs ?? []));
    // A node this process waits for stops when this process exits, however it exits (a killed
    // benchmark or test leaves no network behind): its stdin is a pipe nothing writes to, which
    // ends when this process does.
    if (!options.detached) args.push('--stop-with-stdin');
    const log = openSync(join(options.root, 'node.log'), 'a');
    const prefix = options.prefix ?? [];
    const [command, ...commandArgs] = [...prefix, bin, ...args] as [string, ...string[]];
    const child = spawn(command, commandArgs, { stdio: [options.detached ? 'ignore' : 'pipe', 'pipe', log], detached: options.detached ?? false });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timeout = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`safe-node did not start listening within ${options.startTimeoutMs ?? 30000} ms (log: ${join(options.root, 'node.log')})`));
      }, options.startTimeoutMs ?? 30_000);
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        clearTimeout(timeout);
        lines.close();
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch {
          reject(new Error(`safe-node printed an unexpected first line: ${line}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timeout);
        reject(new Error(`safe-node exited with code ${code} before listening (log: ${join(options.root, 'node.log')})`));
      });
    });
    if (options.detached) {
      // The node prints nothing more on stdout; let go of it so this process can exit.
      child.stdout?.destroy();
      child.unref();
    }
    return new NodeProcess(child, ready, options.root, prefix, exited);
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** `<id>@<addr>`: a pinned bootstrap contact for this node. */
  get contact(): string {
    return `${this.id}@${this.addr}`;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Asks the node to stop (SIGTERM) and waits; kills it if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.exited) return this.#child.exitCode;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the node at once (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    if (!this.exited) this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /**
   * Freezes the node (SIGSTOP): it keeps its sockets but answers nothing. Resolves once the
   * process is stopped; the signal takes effect only when the kernel next schedules it.
   */
  async pause(timeoutMs = 5000): Promise<void> {
    this.#child.kill('SIGSTOP');
    const stat = `/proc/${this.#child.pid}/stat`;
    if (!existsSync(stat)) {
      // No procfs to watch: give the signal a moment to land.
      await new Promise((r) => setTimeout(r, 100));
      return;
    }
    const deadline = Date.now() + timeoutMs;
    // The state is the field after the parenthesised command name.
    while (!/\) [Tt] /.test(readFileSync(stat, 'utf8'))) {
      if (Date.now() > deadline) throw new Error(`safe-node ${this.#child.pid} did not stop within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Lets a paused node go on (SIGCONT). */
  resume(): void {
    this.#child.kill('SIGCONT');
  }
}

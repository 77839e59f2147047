/**
 * An emulated WAN for the test network (Linux, as root): each node in a network namespace of
 * its own, the client in the root namespace, and every packet between any two of them delayed,
 * dropped, duplicated and reordered (by default 20 ms each way, 1 % lost, 1 % duplicated, 1 %
 * sent ahead of the others). Used by `tests/wan.e2e.test.ts` and `npm run bench wan`.
 *
 * The links form a star around `safe-wan-link` (crates/wan-link), a small forwarder in the root
 * namespace that owns one TUN device per site:
 *
 *     root namespace: the client, TUN sw…-0 = 10.R.0.1 ──┐
 *     namespace safewan-<pid>-<n>-1: node 1, 10.R.1.1 ───┼── safe-wan-link: forwards each IPv4
 *     …                                                  │   packet to the TUN device of its
 *     namespace safewan-<pid>-<n>-k: node k, 10.R.k.1 ───┘   destination's /24
 *
 * The impairment is applied once per hop, so client to node and node to node are both 20 ms one
 * way: by netem where the kernel has it (`tc qdisc … netem` on each TUN device's egress, the
 * forwarder then passing packets on untouched), else by the forwarder itself with the same
 * semantics (netem's `reorder P`: a reordered packet skips the delay). `SAFE_WAN_EMULATOR=netem`
 * or `=user` forces one (`auto`, the default, prefers netem). Only the TUN devices carry addresses (10.R.0.0/16, R picked so that
 * nothing on the machine overlaps it), and they go away with the forwarder and the namespaces.
 *
 * Nothing leaks out: while a WAN exists, an `unreachable 10.R.0.0/16` route of lower priority
 * backs the TUN route in the root namespace, so if the forwarder dies, packets for the sites
 * fail at once instead of following the default route. Each WAN is recorded in
 * `/run/safe-wasi-wan/` before anything is created; `Wan.create` first removes what a crashed
 * run left (namespaces and their processes, the backstop route) and `destroy` (or, failing
 * that, this process's exit) removes its own. The forwarder exits when its stdin closes, so it
 * never outlives the process that started it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { NodePlace } from './launcher.js';

/** Which part of the machine impairs the packets. */
export type WanEmulator = 'netem' | 'user';

/** How a WAN is made. */
export interface WanOptions {
  /** How many namespaces (sites), one node each. 1 to 250. */
  sites: number;
  /** One-way delay of each hop in ms. Default 20. */
  delayMs?: number;
  /** Probability that a packet is lost, per hop. Default 0.01. */
  loss?: number;
  /** Probability that a packet is delivered twice, per hop. Default 0.01. */
  duplicate?: number;
  /** Probability that a packet skips the delay, overtaking those held, per hop. Default 0.01. */
  reorder?: number;
  /** Default `$SAFE_WAN_EMULATOR`, else netem where the kernel has it, else user space. */
  emulator?: WanEmulator;
  /** The `safe-wan-link` binary; default {@link wanLinkBinary}. */
  bin?: string;
}

/** Whether this machine can make a WAN, and with what. */
export type WanSupport = { ok: true; emulators: WanEmulator[] } | { ok: false; reason: string };

/** One namespace of a WAN. */
export interface WanSite {
  /** The network namespace's name. */
  namespace: string;
  /** The address a node there listens on. */
  ip: string;
  /** The command that runs a program there: `ip netns exec <namespace>`. */
  prefix: string[];
}

/** The forwarder's counters (`safe-wan-link`, crates/wan-link/src/stats.rs). */
export interface ForwarderStats {
  received: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  overflow: number;
  unroutable: number;
  send_errors: number;
}

/** What the WAN did so far. */
export interface WanStats {
  emulator: WanEmulator;
  /** The forwarder's counters (in netem mode it impairs nothing: only `received`/`delivered` move). */
  forwarder: ForwarderStats;
  /** Packets netem dropped, summed over every TUN device (netem mode only). */
  netemDropped?: number;
}

/** A round of UDP echoes from the root namespace to a site and back. */
export interface LinkProbe {
  sent: number;
  /** Round-trip times in ms of the echoes that came back, sorted. */
  rtts: number[];
  /** The median round trip in ms (NaN if none came back). */
  p50: number;
}

/** Where the `safe-wan-link` binary is: `$SAFE_WAN_LINK_BIN`, or the build in this package. */
export function wanLinkBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SAFE_WAN_LINK_BIN']) return env['SAFE_WAN_LINK_BIN'];
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'target', 'release', 'safe-wan-link');
}

/** Where each WAN is recorded while it exists (tmpfs: gone after a reboot, like namespaces). */
const REGISTRY = '/run/safe-wasi-wan';
/** The metric of the backstop route (a lower priority than the TUN route's 0). */
const BACKSTOP_METRIC = '4242';
const NAMESPACE_PREFIX = 'safewan-';

/** What the registry keeps of a WAN: enough to remove it after its process died. */
interface WanRecord {
  pid: number;
  namespaces: string[];
  /** `10.R.0.0/16`. */
  subnet: string;
}

/** Runs a command, returning its stdout; throws with its stderr on failure. */
function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** Runs a command, ignoring failure (teardown of what may already be gone). */
function tryRun(command: string, args: string[]): boolean {
  try {
    run(command, args);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  try {
    return run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.length > 0);
  } catch {
    return [];
  }
}

/** Kills every process in namespace `ns` and removes it. */
function removeNamespace(ns: string): void {
  let pids: string[] = [];
  try {
    pids = run('ip', ['netns', 'pids', ns]).split(/\s+/).filter((p) => /^\d+$/.test(p));
  } catch {
    // Gone already.
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  tryRun('ip', ['netns', 'del', ns]);
}

/**
 * Removes what WANs of processes that no longer run left behind: their namespaces (and any
 * process still in them) and their backstop routes. Returns how many WANs it removed.
 */
export function cleanStaleWans(): number {
  let removed = 0;
  const stale = new Set<string>();
  if (existsSync(REGISTRY)) {
    for (const file of readdirSync(REGISTRY)) {
      const path = join(REGISTRY, file);
      let record: WanRecord;
      try {
        record = JSON.parse(readFileSync(path, 'utf8')) as WanRecord;
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      if (isAlive(record.pid)) continue;
      record.namespaces.forEach((ns) => stale.add(ns));
      tryRun('ip', ['route', 'del', 'unreachable', record.subnet, 'metric', BACKSTOP_METRIC]);
      rmSync(path, { force: true });
      removed++;
    }
  }
  // Namespaces whose record was lost: the owner's pid is in the name.
  for (const ns of namespaces()) {
    const owner = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`).exec(ns)?.[1];
    if (owner && !isAlive(Number(owner))) stale.add(ns);
  }
  const existing = new Set(namespaces());
  for (const ns of stale) if (existing.has(ns)) removeNamespace(ns);
  return removed;
}

/**
 * Whether this machine can make a WAN: Linux, root, iproute2, network namespaces, TUN devices
 * and the `safe-wan-link` binary; and whether its kernel has netem. Makes (and removes) a
 * namespace to find out.
 */
export function wanSupport(bin = wanLinkBinary()): WanSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux network namespaces (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root to create network namespaces and TUN devices' };
  if (!tryRun('ip', ['-V'])) return { ok: false, reason: "needs iproute2's `ip` command" };
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: 'needs TUN devices (/dev/net/tun is missing)' };
  if (!existsSync(bin)) return { ok: false, reason: `needs the safe-wan-link binary (${bin}): build it with \`node scripts/build.mjs\`` };
  const ns = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  try {
    run('ip', ['netns', 'add', ns]);
  } catch (e) {
    return { ok: false, reason: `cannot create a network namespace: ${(e as Error).message}` };
  }
  try {
    try {
      run('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'swprobe', 'mode', 'tun']);
    } catch (e) {
      return { ok: false, reason: `cannot create a TUN device: ${(e as Error).message}` };
    }
    const netem = tryRun('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    return { ok: true, emulators: netem ? ['netem', 'user'] : ['user'] };
  } finally {
    removeNamespace(ns);
  }
}

/** `a.b.c.d[/len]` as [network, length], or undefined. */
function parseCidr(text: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(text);
  if (!m) return undefined;
  const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return [ip, m[5] === undefined ? 32 : Number(m[5])];
}

/** Whether two IPv4 networks share an address. */
function overlaps([a, alen]: [number, number], [b, blen]: [number, number]): boolean {
  const len = Math.min(alen, blen);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** A 10.R.0.0/16 that no address or route of the root namespace overlaps (the default route aside). */
function freeSubnet(): number {
  const taken: Array<[number, number]> = [];
  const text = `${run('ip', ['-4', '-o', 'addr', 'show'])}\n${run('ip', ['-4', 'route', 'show', 'table', 'all'])}`;
  for (const token of text.split(/\s+/)) {
    const cidr = parseCidr(token);
    // An address shown with its prefix (10.1.2.3/24) overlaps through its network.
    if (cidr && cidr[1] > 0) taken.push(cidr);
  }
  const candidates = Array.from({ length: 187 }, (_, i) => 64 + i).sort(() => Math.random() - 0.5);
  const free = candidates.find((r) => !taken.some((t) => overlaps(t, [((10 << 24) | (r << 16)) >>> 0, 16])));
  if (free === undefined) throw new Error('no free 10.R.0.0/16 for the WAN: every one overlaps an address or route of this machine');
  return free;
}

/** The tc arguments of netem with these settings. */
function netemArgs(delayMs: number, loss: number, duplicate: number, reorder: number): string[] {
  const pct = (p: number) => `${+(p * 100).toFixed(4)}%`;
  const args = ['netem', 'limit', '10000', 'delay', `${delayMs}ms`, 'loss', pct(loss), 'duplicate', pct(duplicate)];
  if (reorder > 0 && delayMs > 0) args.push('reorder', pct(reorder));
  return args;
}

let sequence = 0;

/** An emulated WAN (see the module comment). Make one with {@link Wan.create}. */
export class Wan {
  readonly emulator: WanEmulator;
  /** The client's address in the root namespace. */
  readonly clientIp: string;
  readonly sites: WanSite[];
  /** The settings of each hop. */
  readonly impairment: { delayMs: number; loss: number; duplicate: number; reorder: number };
  readonly #forwarder: ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #record: WanRecord;
  readonly #recordPath: string;
  readonly #devices: string[];
  readonly #onExit: () => void;
  #destroyed = false;

  private constructor(fields: {
    emulator: WanEmulator;
    clientIp: string;
    sites: WanSite[];
    impairment: Wan['impairment'];
    forwarder: ChildProcess;
    lines: AsyncIterator<string>;
    record: WanRecord;
    recordPath: string;
    devices: string[];
  }) {
    this.emulator = fields.emulator;
    this.clientIp = fields.clientIp;
    this.sites = fields.sites;
    this.impairment = fields.impairment;
    this.#forwarder = fields.forwarder;
    this.#lines = fields.lines;
    this.#record = fields.record;
    this.#recordPath = fields.recordPath;
    this.#devices = fields.devices;
    this.#onExit = () => this.#teardown();
    process.once('exit', this.#onExit);
  }

  /**
   * Makes a WAN: removes what crashed runs left, then creates the namespaces, starts the
   * forwarder, moves its TUN devices into place, addresses them and sets the impairment.
   * Call {@link wanSupport} first: this throws where that says no.
   */
  static async create(options: WanOptions): Promise<Wan> {
    const { sites: count } = options;
    if (!Number.isInteger(count) || count < 1 || count > 250) throw new RangeError('sites must be an integer from 1 to 250');
    const impairment = {
      delayMs: options.delayMs ?? 20,
      loss: options.loss ?? 0.01,
      duplicate: options.duplicate ?? 0.01,
      reorder: options.reorder ?? 0.01,
    };
    const bin = options.bin ?? wanLinkBinary();
    const support = wanSupport(bin);
    if (!support.ok) throw new Error(`cannot make a WAN here: ${support.reason}`);
    const fromEnv = process.env['SAFE_WAN_EMULATOR'];
    if (fromEnv && !['netem', 'user', 'auto'].includes(fromEnv)) throw new Error(`SAFE_WAN_EMULATOR must be netem, user or auto, not ${fromEnv}`);
    const wanted = options.emulator ?? (fromEnv === 'netem' || fromEnv === 'user' ? fromEnv : undefined);
    if (wanted && !support.emulators.includes(wanted)) throw new Error(`the ${wanted} emulator is not available here (this kernel has no netem qdisc)`);
    const emulator = wanted ?? support.emulators[0]!;

    cleanStaleWans();
    const n = sequence++;
    const r = freeSubnet();
    const subnet = `10.${r}.0.0/16`;
    const tag = `${process.pid.toString(36)}-${n}`;
    const devices = Array.from({ length: count + 1 }, (_, k) => `sw${tag}-${k}`);
    const sites: WanSite[] = Array.from({ length: count }, (_, i) => {
      const namespace = `${NAMESPACE_PREFIX}${process.pid}-${n}-${i + 1}`;
      return { namespace, ip: `10.${r}.${i + 1}.1`, prefix: ['ip', 'netns', 'exec', namespace] };
    });
    const record: WanRecord = { pid: process.pid, namespaces: sites.map((s) => s.namespace), subnet };
    mkdirSync(REGISTRY, { recursive: true });
    const recordPath = join(REGISTRY, `${process.pid}-${n}.json`);
    writeFileSync(recordPath, `${JSON.stringify(record)}\n`);

    const userSpace = emulator === 'user';
    const args = devices.flatMap((d, k) => ['--link', `${d}=10.${r}.${k}.0/24`]);
    args.push(
      '--delay-ms', String(userSpace ? impairment.delayMs : 0),
      '--loss', String(userSpace ? impairment.loss : 0),
      '--duplicate', String(userSpace ? impairment.duplicate : 0),
      '--reorder', String(userSpace ? impairment.reorder : 0),
    );
    const forwarder = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: forwarder.stdout! })[Symbol.asyncIterator]();
    const wan = new Wan({ emulator, clientIp: `10.${r}.0.1`, sites, impairment, forwarder, lines, record, recordPath, devices });
    try {
      const exited = new Promise<never>((_, reject) => forwarder.once('exit', (code) => reject(new Error(`safe-wan-link exited with code ${code} before it was ready`))));
      const ready = await Promise.race([lines.next(), exited]);
      if (ready.done || !String(ready.value).includes('"ready"')) throw new Error(`safe-wan-link printed ${String(ready.value)}`);
      exited.catch(() => {});

      // The backstop first, then the client's end of the star.
      run('ip', ['route', 'add', 'unreachable', subnet, 'metric', BACKSTOP_METRIC]);
      const root = devices[0]!;
      run('ip', ['link', 'set', 'dev', root, 'addrgenmode', 'none']);
      run('ip', ['addr', 'add', `${wan.clientIp}/32`, 'dev', root]);
      run('ip', ['link', 'set', 'dev', root, 'up']);
      run('ip', ['route', 'add', subnet, 'dev', root, 'src', wan.clientIp]);
      if (!userSpace) run('tc', ['qdisc', 'add', 'dev', root, 'root', ...netemArgs(impairment.delayMs, impairment.loss, impairment.duplicate, impairment.reorder)]);
      for (const [i, site] of sites.entries()) {
        const dev = devices[i + 1]!;
        const ns = site.namespace;
        run('ip', ['netns', 'add', ns]);
        run('ip', ['link', 'set', 'dev', dev, 'netns', ns]);
        run('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'addrgenmode', 'none']);
        run('ip', ['-n', ns, 'addr', 'add', `${site.ip}/32`, 'dev', dev]);
        run('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
        run('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'up']);
        run('ip', ['-n', ns, 'route', 'add', subnet, 'dev', dev, 'src', site.ip]);
        if (!userSpace) run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', ...netemArgs(impairment.delayMs, impairment.loss, impairment.duplicate, impairment.reorder)]);
      }
      return wan;
    } catch (e) {
      await wan.destroy();
      throw e;
    }
  }

  /** Where node `index` of a test network runs: site `index` (modulo the sites). For `startTestnet({ place })`. */
  readonly place = (index: number): NodePlace => {
    const site = this.sites[index % this.sites.length]!;
    return { ip: site.ip, prefix: site.prefix };
  };

  /**
   * Sends `count` UDP datagrams, `intervalMs` apart, from the root namespace to an echo server
   * in site `site`, and times the echoes that come back within a second of the last send.
   */
  async probe(count = 200, intervalMs = 5, site = 0): Promise<LinkProbe> {
    const target = this.sites[site];
    if (!target) throw new RangeError(`no site ${site}`);
    const script =
      "const s=require('node:dgram').createSocket('udp4');" +
      's.on("message",(m,r)=>s.send(m,r.port,r.address));' +
      's.bind(0,process.argv[1],()=>console.log(s.address().port));' +
      'process.stdin.on("end",()=>process.exit(0));process.stdin.resume();';
    const echo = spawn(target.prefix[0]!, [...target.prefix.slice(1), process.execPath, '-e', script, target.ip], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = Number((await createInterface({ input: echo.stdout! })[Symbol.asyncIterator]().next()).value);
      if (!Number.isInteger(port) || port <= 0) throw new Error('the echo server did not start');
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, this.clientIp, resolve));
      const sentAt = new Map<number, number>();
      const rtts: number[] = [];
      socket.on('message', (m) => {
        if (m.length < 4) return;
        const t = sentAt.get(m.readUInt32BE(0));
        if (t === undefined) return;
        rtts.push(performance.now() - t);
        sentAt.delete(m.readUInt32BE(0)); // a duplicate is not a second echo
      });
      for (let i = 0; i < count; i++) {
        const datagram = Buffer.alloc(64);
        datagram.writeUInt32BE(i);
        sentAt.set(i, performance.now());
        socket.send(datagram, port, target.ip);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      await new Promise((r) => setTimeout(r, 1000));
      socket.close();
      rtts.sort((a, b) => a - b);
      return { sent: count, rtts, p50: rtts.length > 0 ? rtts[Math.floor(rtts.length / 2)]! : NaN };
    } finally {
      echo.stdin?.end();
      setTimeout(() => echo.kill('SIGKILL'), 2000).unref();
    }
  }

  /** The counters of the forwarder, and netem's drops in netem mode. */
  async stats(): Promise<WanStats> {
    this.#forwarder.stdin!.write('stats\n');
    const line = await this.#lines.next();
    if (line.done) throw new Error('safe-wan-link has exited');
    const forwarder = JSON.parse(String(line.value)) as ForwarderStats;
    if (this.emulator === 'user') return { emulator: this.emulator, forwarder };
    const dropped = (text: string) => Number(/dropped (\d+)/.exec(text)?.[1] ?? 0);
    let netemDropped = dropped(run('tc', ['-s', 'qdisc', 'show', 'dev', this.#devices[0]!]));
    for (const [i, site] of this.sites.entries()) {
      netemDropped += dropped(run('ip', ['netns', 'exec', site.namespace, 'tc', '-s', 'qdisc', 'show', 'dev', this.#devices[i + 1]!]));
    }
    return { emulator: this.emulator, forwarder, netemDropped };
  }

  /**
   * Removes the WAN: stops the forwarder (its TUN devices go with it), kills whatever still
   * runs in the namespaces and removes them, then the backstop route and the record. Close the
   * clients and stop the nodes first. Safe to call twice.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    const forwarder = this.#forwarder;
    if (forwarder.exitCode === null && forwarder.signalCode === null) {
      const exited = new Promise((r) => forwarder.once('exit', r));
      forwarder.stdin?.end();
      const timer = setTimeout(() => forwarder.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.#teardown();
  }

  /** The synchronous part of {@link destroy}, also run at process exit. */
  #teardown(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    process.removeListener('exit', this.#onExit);
    if (this.#forwarder.exitCode === null && this.#forwarder.signalCode === null) this.#forwarder.kill('SIGKILL');
    const existing = new Set(namespaces());
    for (const ns of this.#record.namespaces) if (existing.has(ns)) removeNamespace(ns);
    tryRun('ip', ['route', 'del', 'unreachable', this.#record.subnet, 'metric', BACKSTOP_METRIC]);
    rmSync(this.#recordPath, { force: true });
  }
}

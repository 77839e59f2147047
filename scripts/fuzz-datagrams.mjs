// Fuzzes the component's datagram input surface: `handle-datagrams` of the real client
// component (pkg/safe_client.wasm through its jco bindings), connected over real UDP to a real
// node, is fed random datagrams and mutations of the QUIC packets it really received, from the
// node's address (a remote it has a connection with) and from unknown remotes, IPv4 and IPv6.
//
// A small host of its own drives the component (the Node host's driver does not take datagrams
// from anywhere but its sockets): the same loop, after every call draining completions and
// re-arming the one timer, and the Node host's send allowlist (host/engine/gate.ts), so what the
// client answers to strangers never leaves. It checks, for every batch: no trap (any exception
// out of the component), and the component's linear memory under `memoryLimit`; and at the end
// that the same instance still reads back what it stored, and stores and reads anew.
//
// Used by tests/fuzz.e2e.test.ts (a few thousand datagrams) and `npm run fuzz` (10^6).
import { readFile } from 'node:fs/promises';

/** @typedef {import('../pkg/js/interfaces/safe-client-datagram.js').Datagram} Datagram */
/** @typedef {import('../pkg/js/interfaces/safe-client-client.js').Request} Request */
/** @typedef {import('../pkg/js/interfaces/safe-client-client.js').Response} Response */
/** @typedef {import('../pkg/js/interfaces/safe-client-client.js').Completion['outcome']} Outcome */

import { instantiate } from '../pkg/js/safe_client.js';
import { SendGate } from '../dist/engine/gate.js';
import { UdpSocket, toWitAddress } from '../dist/engine/sockets.js';
import { ByteSource } from '../dist/engine/sources.js';
import { wasiImports } from '../dist/engine/wasi.js';

const BATCH = 64;
const MiB = 1024 * 1024;

/**
 * @param {{ node: { ip: string, port: number }, count: number, seed?: number, memoryLimit?: number }} options
 * @returns {Promise<{ fed: number, fromNode: number, captured: number, refused: number, memory: number, maxMemory: number, seconds: number }>}
 */
export async function fuzzDatagrams({ node, count, seed = 1, memoryLimit = 64 * MiB }) {
  let rng = BigInt(seed) | 1n;
  /** xorshift64*: reproducible from `seed`. */
  const rand = () => {
    rng ^= rng >> 12n;
    rng ^= (rng << 25n) & 0xffffffffffffffffn;
    rng ^= rng >> 27n;
    return Number(((rng * 0x2545f4914f6cdd1dn) >> 32n) & 0xffffffffn);
  };

  /** @type {WebAssembly.Memory[]} */
  const memories = [];
  /** @type {(module: WebAssembly.Module, imports: Record<string, any>) => Promise<WebAssembly.Instance>} */
  const instantiateCore = async (module, imports) => {
    const instance = await WebAssembly.instantiate(module, imports);
    for (const e of Object.values(instance.exports)) if (e instanceof WebAssembly.Memory) memories.push(e);
    return instance;
  };
  const bindings = new URL('../pkg/js/', import.meta.url);
  const imports = /** @type {Parameters<typeof instantiate>[1]} */ (
    /** @type {unknown} */ ({ ...wasiImports(), 'safe:client/datagram': { UdpSocket }, 'safe:client/source': { ByteSource } })
  );
  const root = await instantiate(async (name) => WebAssembly.compile(await readFile(new URL(name, bindings))), imports, instantiateCore);
  const memory = () => memories.reduce((sum, m) => sum + m.buffer.byteLength, 0);

  const known = toWitAddress(node.ip, node.port);
  const gate = new SendGate();
  gate.allow([known]);
  const socket = await UdpSocket.bind('udp4', gate);
  const client = new root.client.Client({ timeoutMs: 30_000n, xorurlBase: 'base32z', dryRun: false });
  const index = client.attachSocket(socket);

  /** @type {Map<bigint, (outcome: Outcome) => void>} */
  const waiting = new Map();
  /** @type {Uint8Array[]} */
  const captured = [];
  let refused = 0;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {unknown} */
  let trapped;
  let maxMemory = 0;
  /** @param {() => void} f one call into the component */
  const call = (f) => {
    if (trapped) return;
    try {
      f();
      for (const c of client.drainCompletions()) waiting.get(c.id)?.(c.outcome);
      client.drainProgress();
      if (gate.holding) gate.settle(client.nodeAddresses(), (_, n) => (refused += n));
      clearTimeout(timer);
      const next = client.nextTimeout();
      if (next !== undefined) timer = setTimeout(() => call(() => client.handleTimeout()), Math.ceil(Number(next) / 1000));
    } catch (e) {
      trapped = e;
      clearTimeout(timer);
      for (const resolve of waiting.values()) resolve({ tag: 'err', val: { code: 'internal', message: `trapped: ${String(e)}` } });
    }
    maxMemory = Math.max(maxMemory, memory());
  };
  socket.onDatagrams((batch) => {
    for (const d of batch) if (captured.length < 256) captured.push(Uint8Array.from(d.data));
    call(() => client.handleDatagrams(index, batch));
  });
  /**
   * Starts an operation and waits for its outcome; throws on an error.
   * @param {Request} request
   * @returns {Promise<Response>}
   */
  const run = (request) =>
    new Promise((resolve, reject) => {
      call(() => {
        const id = client.start(request);
        waiting.set(id, (outcome) => {
          waiting.delete(id);
          if (outcome.tag === 'ok') resolve(outcome.val);
          else reject(new Error(`${request.tag} failed: ${outcome.val.code}: ${outcome.val.message}`));
        });
      });
    });

  const started = performance.now();
  try {
    await run({ tag: 'connect', val: [{ address: known }] });
    const content = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 31) & 0xff);
    const stored = await run({ tag: 'store-bytes', val: [content, undefined] });
    if (stored.tag !== 'stored') throw new Error(`store-bytes gave ${stored.tag}`);
    await run({ tag: 'files-get', val: [stored.val, undefined] });

    /** A remote the client has no connection with: loopback IPv4, or ::1 / ::2. */
    const unknown = () =>
      rand() % 4 === 0
        ? toWitAddress(`::${1 + (rand() % 2)}`, 1024 + (rand() % 60000))
        : toWitAddress(`127.0.${rand() % 256}.${1 + (rand() % 254)}`, 1024 + (rand() % 60000));
    /** @param {Uint8Array} packet */
    const mutate = (packet) => {
      const out = Array.from(packet);
      for (let n = 1 + (rand() % 4); n > 0; n--) {
        const at = out.length ? rand() % out.length : 0;
        switch (rand() % 5) {
          case 0: out[at] = (out[at] ?? 0) ^ (1 << (rand() % 8)); break;
          case 1: out.length = at; break;
          case 2: out.splice(at, 0, ...Array.from({ length: rand() % 32 }, () => rand() & 0xff)); break;
          case 3: out[at] = rand() & 0xff; break;
          default: out.splice(at, 0, ...out.slice(0, rand() % 64));
        }
      }
      return Uint8Array.from(out.slice(0, 65_527));
    };
    let fed = 0;
    let fromNode = 0;
    while (fed < count) {
      /** @type {Datagram[]} */
      const batch = [];
      for (let i = 0; i < BATCH && fed < count; i++, fed++) {
        const fromKnown = rand() % 2 === 0;
        fromNode += fromKnown ? 1 : 0;
        const sample = captured.length > 0 && rand() % 3 !== 0 ? captured[rand() % captured.length] : undefined;
        const data = sample ? mutate(sample) : Uint8Array.from({ length: rand() % 1500 }, () => rand() & 0xff);
        batch.push({ remote: fromKnown ? known : unknown(), data });
      }
      call(() => client.handleDatagrams(index, batch));
      if (trapped) throw new Error(`the component trapped after ${fed} datagrams (seed ${seed}): ${trapped}`);
      if (memory() > memoryLimit) throw new Error(`the component's memory grew to ${memory()} bytes (limit ${memoryLimit}) after ${fed} datagrams (seed ${seed})`);
      // Let the real socket and timer run between batches, as they would.
      if (fed % (BATCH * 16) === 0) await new Promise((r) => setImmediate(r));
    }

    // The same instance still works: what it stored before, and something new.
    const back = await run({ tag: 'files-get', val: [stored.val, undefined] });
    if (back.tag !== 'bytes' || Buffer.compare(Buffer.from(back.val), Buffer.from(content)) !== 0) throw new Error('the file read back after fuzzing differs');
    const again = await run({ tag: 'store-bytes', val: [content.subarray(0, 1000), undefined] });
    if (again.tag !== 'stored') throw new Error(`store-bytes gave ${again.tag}`);
    const read = await run({ tag: 'files-get', val: [again.val, undefined] });
    if (read.tag !== 'bytes' || read.val.length !== 1000) throw new Error('a file stored after fuzzing did not read back');
    return { fed, fromNode, captured: captured.length, refused, memory: memory(), maxMemory, seconds: (performance.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
    if (!trapped) /** @type {Partial<Disposable>} */ (/** @type {unknown} */ (client))[Symbol.dispose]?.();
    await socket.close();
  }
}

// A misbehaving component is contained by its host. These tests load the fault-injection build
// of the component (crates/component/src/faults.rs, built into pkg/faults/ by `npm test`), which
// on purpose traps (a wasm `unreachable`, as a bug would) or sends a datagram to an address
// outside the network, and check what the Node host does about it:
// - a trap rejects that instance's pending calls with Internal; another Safe in the same
//   process, and the process, go on;
// - a datagram to an address that is neither a bootstrap contact nor a node of the network map
//   never leaves the host, and is reported on `safe-wasi:send-refused`.
import { createSocket, type Socket } from 'node:dgram';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe } from '../dist/index.js';
import { failure, pattern, startNode } from './support.js';

const faults = join(fileURLToPath(import.meta.url), '..', '..', 'pkg', 'faults', 'js', 'safe_client.js');
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  if (!existsSync(faults)) throw new Error(`${faults} is missing: build it with \`node scripts/build.mjs --tests\``);
  node = await startNode();
});
afterAll(async () => {
  await node?.cleanup();
});

/** A Safe running the fault-injection build (the variable is read when its worker starts). */
function faultySafe(): Safe {
  process.env['SAFE_WASI_COMPONENT'] = faults;
  try {
    return new Safe(null, 30);
  } finally {
    delete process.env['SAFE_WASI_COMPONENT'];
  }
}

/** A UDP socket on loopback that counts what reaches it: the address outside the network. */
async function listener(): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { socket, port: socket.address().port, received };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a component that traps', () => {
  it('rejects its pending calls with Internal, and another Safe and the process go on', async () => {
    const faulty = faultySafe();
    await using healthy = new Safe(null, 30);
    await faulty.connect({ bootstrap: [node.addr] });
    await healthy.connect({ bootstrap: [node.addr] });
    const url = await faulty.storeBytes(pattern(5000));

    // A call in flight when the trap comes: the node is stopped, so it cannot finish first.
    await node.pause();
    let pending: Promise<unknown>;
    try {
      pending = faulty.filesGet(url);
      pending.catch(() => {});
      await settle(100);
      const trap = await failure(() => faulty.fetch('safe://fault.trap'));
      expect(trap.code).toBe('Internal');
      expect(trap.message).toMatch(/component stopped/);
    } finally {
      node.resume();
    }
    const lost = await failure(() => pending);
    expect(lost.code).toBe('Internal');
    // The instance stays dead, and says so, without hanging.
    expect((await failure(() => faulty.filesGet(url))).code).toBe('Internal');
    await faulty.close();

    // The other instance, in its own worker, never noticed.
    const again = await healthy.storeBytes(pattern(3000, 4));
    expect((await healthy.filesGet(again)).length).toBe(3000);
    expect(Buffer.from(await healthy.filesGet(url)).equals(Buffer.from(pattern(5000)))).toBe(true);
  });
});

describe('the send allowlist', () => {
  it('drops a datagram to an address outside the network and reports it', async () => {
    const outside = await listener();
    const events: unknown[] = [];
    const onRefused = (e: unknown) => events.push(e);
    subscribe('safe-wasi:send-refused', onRefused);
    try {
      await using safe = faultySafe();
      await safe.connect({ bootstrap: [node.addr] });
      const e = await failure(() => safe.fetch(`safe://fault.send/127.0.0.1:${outside.port}`));
      expect(e.message).toMatch(/sent one datagram/);
      await settle(300);
      expect(outside.received).toHaveLength(0);
      expect(events).toContainEqual({ address: `127.0.0.1:${outside.port}`, datagrams: 1 });
      // The allowlist let the real traffic through: the instance works.
      const url = await safe.storeBytes(pattern(100, 2));
      expect((await safe.filesGet(url)).length).toBe(100);
    } finally {
      unsubscribe('safe-wasi:send-refused', onRefused);
      outside.socket.close();
    }
  });

  it('lets it through when the user allows the address (so the test above could fail)', async () => {
    const outside = await listener();
    try {
      await using safe = faultySafe();
      await safe.connect({ bootstrap: [node.addr], allow: [`127.0.0.1:${outside.port}`] });
      await failure(() => safe.fetch(`safe://fault.send/127.0.0.1:${outside.port}`));
      const deadline = Date.now() + 5000;
      while (outside.received.length === 0 && Date.now() < deadline) await settle(50);
      expect(outside.received.map((m) => m.toString())).toEqual(['a datagram the network map does not allow']);
    } finally {
      outside.socket.close();
    }
  });

  it('refuses an allowlist that is not a list of contacts', async () => {
    await using safe = new Safe(null, 5);
    expect((await failure(() => safe.connect({ bootstrap: [node.addr], allow: '127.0.0.1:9' as never }))).code).toBe('InvalidArgument');
    expect((await failure(() => safe.connect({ bootstrap: [node.addr], allow: ['nowhere'] }))).code).toBe('InvalidArgument');
  });
});

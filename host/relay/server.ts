/**
 * `safe relay`: carries a browser page's datagrams between a WebSocket and a UDP socket of its
 * own (one per WebSocket), and forwards only to the network's addresses, so that it is never an
 * open relay. Frames are those of ./frame.ts.
 *
 * Where it forwards (the allowlist): the bootstrap contacts, the `--allow`ed addresses, and the
 * nodes of the network map, which the relay learns the way any client does: it runs a client
 * component of its own (an engine, as a Node `Safe` does), connects it to the bootstrap contacts
 * and takes the map's node addresses from it; it connects again every `refreshMs`, and soon after
 * it refused a datagram (a node may have joined), at most once per {@link REFRESH_GAP_MS}. What
 * it refuses is dropped, logged, and reported to the page in a `refused` notice. Datagrams that
 * arrive from other addresses are dropped too, so nothing outside the network reaches a page.
 *
 * Datagrams from the network to a page are gathered for one turn of the event loop and sent in
 * as few frames as fit: one WebSocket message (one TCP write, one task in the page) for many
 * datagrams.
 *
 * Bounds: frames of at most MAX_FRAME bytes (a larger one closes the WebSocket, code 1009), at
 * most `maxConnections` pages (more are closed with 1013), and per page at most `queueBytes`
 * waiting in each direction (the WebSocket's send buffer; UDP sends in flight): datagrams over
 * that are dropped and counted, which QUIC's congestion control treats as loss.
 *
 * The relay never sees plaintext: the payloads are QUIC packets encrypted by the component in
 * the page (TLS 1.3 keys that never leave it); the relay holds no key and parses only the frame
 * header.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

import { WebSocketServer, type WebSocket } from 'ws';

import type { Contact } from '../core/contact.js';
import { SafeError } from '../core/errors.js';
import { toHostAddress, toWitAddress } from '../engine/address.js';
import { Engine } from '../engine/engine.js';
import { addressKey } from '../engine/gate.js';
import { widenReceiveBuffer } from '../engine/sockets.js';
import { nodeEnginePort } from '../engine/node/port.js';
import { toWitContact } from '../api/convert.js';
import { FRAME_VERSION, MAX_FRAME, decodeFrame, encodeFrames, type FrameRecord, type RelayNotice } from './frame.js';

/** The least time between two refreshes of the network map that a refusal triggers. */
export const REFRESH_GAP_MS = 5_000;

export interface RelayOptions {
  /** Where to listen for WebSockets (default 127.0.0.1:8787; port 0 picks one). */
  host?: string;
  port?: number;
  /** The network's contacts: the relay's client connects through them; pages are told them. */
  bootstrap: Contact[];
  /** More addresses pages may send to. */
  allow?: Contact[];
  /** How many pages at once (default 64). */
  maxConnections?: number;
  /** Bytes that may wait per page and direction (default 4 MiB). */
  queueBytes?: number;
  /** How often the network map is fetched again (default 30 s). */
  refreshMs?: number;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
}

/** A running relay. */
export interface Relay {
  /** The `ws://` URL pages connect to. */
  readonly url: string;
  /** The addresses it forwards to now (`ip:port`). */
  allowed(): string[];
  /** How many datagrams it has refused so far. */
  readonly refusedCount: number;
  /** Closes every page's connection and socket, stops listening and stops its client. */
  close(): Promise<void>;
}

/** The text form of a contact, `[id@]ip:port`. */
export function contactText(c: Contact): string {
  const host = c.ip.includes(':') ? `[${c.ip}]` : c.ip;
  return `${c.id ? `${c.id}@` : ''}${host}:${c.port}`;
}

/** Starts a relay; resolves once it listens and knows the network map. */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxConnections = options.maxConnections ?? 64;
  const queueBytes = options.queueBytes ?? 4 * 1024 * 1024;
  if (options.bootstrap.length === 0) throw new SafeError('NoContacts', 'the relay needs the network contacts: pass --bootstrap, or start a testnet');

  const fixed = new Set([...options.bootstrap, ...(options.allow ?? [])].map((c) => addressKey(toWitAddress(c.ip, c.port))));
  let mapped = new Set<string>();
  const isAllowed = (key: string) => fixed.has(key) || mapped.has(key);

  // The relay's own client, only to learn the network map.
  const engine = new Engine(nodeEnginePort({ timeoutMs: 30_000, xorurlBase: 'base32z' }));
  engine.onNetworkMap((addresses) => {
    mapped = new Set(addresses);
  });
  engine.allow([...options.bootstrap, ...(options.allow ?? [])]);
  let lastRefresh = 0;
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    lastRefresh = Date.now();
    refreshing ??= engine
      .run({ tag: 'connect', val: options.bootstrap.map(toWitContact) }, 'connected')
      .result.then(
        () => undefined,
        (e: unknown) => log(`relay: could not fetch the network map: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  try {
    await engine.run({ tag: 'connect', val: options.bootstrap.map(toWitContact) }, 'connected').result;
  } catch (e) {
    await engine.close(new SafeError('Closed', 'the relay stopped'));
    throw e;
  }
  lastRefresh = Date.now();
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 30_000);
  timer.unref();

  const server = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 8787, maxPayload: MAX_FRAME });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `ws://${address.includes(':') ? `[${address}]` : address}:${port}`;
  const pages = new Set<{ ws: WebSocket; udp: Socket }>();
  let refusedCount = 0;
  let nextPage = 1;

  server.on('connection', (ws, request) => {
    const peer = `page ${nextPage++} (${request.socket.remoteAddress}:${request.socket.remotePort})`;
    if (pages.size >= maxConnections) {
      log(`relay: refused ${peer}: already ${maxConnections} connections`);
      ws.close(1013, 'the relay is full: try again later');
      return;
    }
    const udp = createSocket('udp4');
    const page = { ws, udp };
    pages.add(page);
    let udpInFlight = 0;
    const refused = new Map<string, number>();
    const dropped = { toNetwork: 0, toPage: 0 };
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      for (const [to, datagrams] of refused) {
        log(`relay: refused ${datagrams} datagram(s) from ${peer} to ${to}: not an address of the network`);
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'refused', address: to, datagrams } satisfies RelayNotice));
      }
      refused.clear();
      if (dropped.toNetwork + dropped.toPage > 0) log(`relay: dropped ${dropped.toNetwork} datagram(s) from ${peer} and ${dropped.toPage} to it: queue over ${queueBytes} bytes`);
      dropped.toNetwork = dropped.toPage = 0;
    };
    const later = () => {
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };

    udp.on('error', (e) => log(`relay: udp socket of ${peer}: ${e.message}`));
    // Datagrams for the page, sent together at the end of the turn.
    let inbox: FrameRecord[] = [];
    let inboxBytes = 0;
    const deliver = () => {
      const records = inbox;
      inbox = [];
      inboxBytes = 0;
      if (ws.readyState !== ws.OPEN) return;
      for (const frame of encodeFrames(records)) ws.send(frame);
    };
    udp.on('message', (data: Buffer, from: RemoteInfo) => {
      // An IPv4 socket: `ip:port` is the address's key (gate.ts's addressKey).
      if (!isAllowed(`${from.address}:${from.port}`)) return;
      if (ws.bufferedAmount + inboxBytes > queueBytes) {
        dropped.toPage++;
        later();
        return;
      }
      if (inbox.length === 0) setImmediate(deliver);
      inbox.push({ address: toWitAddress(from.address, from.port), payload: data });
      inboxBytes += data.byteLength;
    });
    udp.bind({ port: 0, address: '0.0.0.0' }, () => {
      widenReceiveBuffer(udp);
      const local = udp.address();
      const hello: RelayNotice = { type: 'hello', version: FRAME_VERSION, contacts: options.bootstrap.map(contactText), local: { ip: local.address, port: local.port } };
      ws.send(JSON.stringify(hello));
    });

    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        log(`relay: closed ${peer}: it sent a text frame`);
        ws.close(1003, 'only binary frames are accepted');
        return;
      }
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : new Uint8Array(data);
      const frame = decodeFrame(bytes);
      if ('error' in frame) {
        log(`relay: dropped a frame of ${peer}: ${frame.error}`);
        return;
      }
      for (const { address, payload } of frame.records) {
        const key = addressKey(address);
        if (address.tag !== 'ipv4' || !isAllowed(key)) {
          refusedCount++;
          refused.set(key, (refused.get(key) ?? 0) + 1);
          later();
          if (Date.now() - lastRefresh > REFRESH_GAP_MS) void refresh();
          continue;
        }
        if (udpInFlight > queueBytes) {
          dropped.toNetwork++;
          later();
          continue;
        }
        const [ip, to] = toHostAddress(address);
        const size = payload.byteLength;
        udpInFlight += size;
        udp.send(payload, to, ip, () => {
          udpInFlight -= size;
        });
      }
    });
    ws.on('error', (e) => log(`relay: ${peer}: ${e.message}`));
    ws.on('close', () => {
      pages.delete(page);
      flush();
      udp.close();
    });
  });

  log(`relay: listening on ${url}, forwarding to ${new Set([...fixed, ...mapped]).size} address(es) of the network`);
  return {
    url,
    allowed: () => [...new Set([...fixed, ...mapped])],
    get refusedCount() {
      return refusedCount;
    },
    async close() {
      clearInterval(timer);
      for (const { ws } of pages) ws.close(1001, 'the relay is stopping');
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const { ws } of pages) ws.terminate();
      await refreshing;
      await engine.close(new SafeError('Closed', 'the relay stopped'));
    },
  };
}

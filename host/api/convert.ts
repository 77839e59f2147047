/**
 * The component's WIT values (as jco generates their types from `wit/safe-client.wit`) in the
 * shapes of the public API (`./types.ts`), and the few host values the WIT takes in its own form.
 * The engine passes WIT values through unchanged; this is the only place that reshapes them.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { Contact } from '../core/contacts.js';
import { toHostAddress, toWitAddress } from '../engine/address.js';
import type { FileChange, FileInfo, FileReplicas, FilesMap, NetworkInfo, NrsMap, ProcessedFiles, SafeData } from './types.js';

/** A bootstrap contact as the WIT's `contact`. */
export function toWitContact(c: Contact): Wit.Contact {
  return { address: toWitAddress(c.ip, c.port), ...(c.id ? { nodeId: fromHex(c.id) } : {}) };
}

export function networkInfo(n: Wit.NetworkInfo): NetworkInfo {
  return { nodes: n.nodes, epoch: Number(n.epoch), replicationFactor: n.replicationFactor };
}

export function fileReplicas(r: Wit.FileReplicas): FileReplicas {
  return {
    xorurl: r.xorurl,
    replicationFactor: r.replicationFactor,
    chunks: r.chunks.map((c) => ({
      address: hex(c.address),
      kind: c.kind,
      holders: c.holders.map((h) => {
        const [ip, port] = toHostAddress(h.addr);
        return { nodeId: hex(h.node), address: h.addr.tag === 'ipv4' ? `${ip}:${port}` : `[${ip}]:${port}`, state: h.state };
      }),
    })),
  };
}

/** An object of pairs; `Object.fromEntries` defines each key as an own property (even `__proto__`). */
export function record<T>(pairs: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(pairs);
}

export function filesMap(map: Wit.FilesMap): FilesMap {
  return record(map.map(([path, info]): [string, FileInfo] => [path, record(info)]));
}

export function nrsMap(map: Array<[string, string]>): NrsMap {
  return record(map);
}

export function processedFiles(processed: Wit.ContainerResult['processed']): ProcessedFiles {
  return record(processed.map(([path, c]): [string, FileChange] => [path, fileChange(c)]));
}

function fileChange(c: Wit.FileChange): FileChange {
  switch (c.tag) {
    case 'added':
      return { change: 'Added', link: c.val };
    case 'updated':
      return { change: 'Updated', link: c.val };
    case 'removed':
      return { change: 'Removed', link: c.val };
    case 'failed':
      return { change: 'Failed', reason: c.val };
  }
}

/** A type tag as a number when it is one exactly, else a bigint. */
function typeTag(tag: bigint): number | bigint {
  return tag <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tag) : tag;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The bytes of `text`, an even number of hex digits (checked by the caller). */
export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function safeData(d: Wit.SafeData): SafeData {
  switch (d.tag) {
    case 'public-file': {
      const f = d.val;
      return {
        type: 'PublicFile',
        xorurl: f.xorurl,
        xorname: hex(f.xorname),
        data: f.data,
        ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}),
        ...(f.metadata !== undefined ? { metadata: record(f.metadata) } : {}),
        resolvedFrom: f.resolvedFrom,
        size: Number(f.size),
      };
    }
    case 'files-container': {
      const c = d.val;
      return {
        type: 'FilesContainer',
        xorurl: c.xorurl,
        xorname: hex(c.xorname),
        typeTag: typeTag(c.typeTag),
        version: c.version ?? null,
        filesMap: filesMap(c.filesMap),
        ...(c.metadata !== undefined ? { metadata: record(c.metadata) } : {}),
        resolvedFrom: c.resolvedFrom,
      };
    }
    case 'nrs-map-container': {
      const n = d.val;
      return {
        type: 'NrsMapContainer',
        publicName: n.publicName,
        xorurl: n.xorurl,
        xorname: hex(n.xorname),
        typeTag: typeTag(n.typeTag),
        version: n.version ?? null,
        nrsMap: nrsMap(n.nrsMap),
        resolvedFrom: n.resolvedFrom,
      };
    }
    case 'nrs-entry': {
      const e = d.val;
      return {
        type: 'NrsEntry',
        publicName: e.publicName,
        xorurl: e.xorurl,
        version: e.version ?? null,
        resolvesInto: e.resolvesInto,
        resolvedFrom: e.resolvedFrom,
      };
    }
    case 'safe-key': {
      const k = d.val;
      return { type: 'SafeKey', xorurl: k.xorurl, xorname: hex(k.xorname), resolvedFrom: k.resolvedFrom };
    }
    case 'register': {
      const r = d.val;
      return {
        type: 'Register',
        xorurl: r.xorurl,
        xorname: hex(r.xorname),
        typeTag: typeTag(r.typeTag),
        entries: r.entries.map((e) => ({ hash: e.hash, entry: e.entry })),
        resolvedFrom: r.resolvedFrom,
      };
    }
    case 'multimap': {
      const m = d.val;
      return {
        type: 'Multimap',
        xorurl: m.xorurl,
        xorname: hex(m.xorname),
        typeTag: typeTag(m.typeTag),
        entries: m.entries.map((e) => ({ hash: e.hash, key: e.key, value: e.value })),
        resolvedFrom: m.resolvedFrom,
      };
    }
  }
}

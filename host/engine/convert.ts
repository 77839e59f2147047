/**
 * Conversions between the host's operation messages and the component's WIT types, done in the
 * worker so the main thread receives plain API values.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { FileChange, FileInfo, FilesMap, Keypair, MultimapEntry, NetworkInfo, ProcessedFiles, RegisterEntry, SafeData } from '../api/types.js';
import { toWitAddress } from './sockets.js';
import type { OpRequest, WireLocal } from './protocol.js';
import { ByteSource } from './sources.js';

/** The WIT request for `r`; a `storeFile` request takes the `source` the driver opened for it. */
export function toWitRequest(r: OpRequest, source?: ByteSource): Wit.Request {
  switch (r.op) {
    case 'connect':
      return {
        tag: 'connect',
        val: r.contacts.map((c) => ({
          address: toWitAddress(c.ip, c.port),
          ...(c.id ? { nodeId: Uint8Array.from(Buffer.from(c.id, 'hex')) } : {}),
        })),
      };
    case 'storeBytes':
      return { tag: 'store-bytes', val: [r.data, r.mediaType] };
    case 'storeFile':
      if (!source) throw new Error('storeFile needs a source');
      return { tag: 'store-file', val: [source, r.mediaType] };
    case 'filesGet':
      return { tag: 'files-get', val: [r.url, r.range] };
    case 'fetch':
      return { tag: 'fetch', val: [r.url, r.range] };
    case 'newKeypair':
      return { tag: 'new-keypair' };
    case 'getKeypair':
      return { tag: 'get-keypair' };
    case 'setKeypair':
      return { tag: 'set-keypair', val: r.secretKey };
    case 'registerCreate':
      return { tag: 'register-create', val: { name: r.name, tag: r.tag, contentType: r.contentType } };
    case 'registerRead':
      return { tag: 'register-read', val: r.url };
    case 'registerReadEntry':
      return { tag: 'register-read-entry', val: [r.url, r.hash] };
    case 'registerWrite':
      return { tag: 'register-write', val: { url: r.url, entry: r.entry, parents: r.parents } };
    case 'keysCreatePreloadTestCoins':
      return { tag: 'keys-create-preload-test-coins', val: r.amount };
    case 'keysCreateAndPreload':
      return { tag: 'keys-create-and-preload', val: [r.amount, r.fromSecretKey] };
    case 'keysBalance':
      return { tag: 'keys-balance', val: r.secretKey };
    case 'keysTransfer':
      return { tag: 'keys-transfer', val: { amount: r.amount, fromSecretKey: r.fromSecretKey, toUrl: r.toUrl } };
    case 'inspect':
      return { tag: 'inspect', val: r.url };
    case 'filesContainerCreate':
      return { tag: 'files-container-create' };
    case 'filesContainerCreateFrom':
      return { tag: 'files-container-create-from', val: { local: toWitLocal(r.local), dst: r.dst, forceOrDelete: false, updateNrs: false } };
    case 'filesContainerAdd':
      return { tag: 'files-container-add', val: { local: toWitLocal(r.local), url: r.url, forceOrDelete: r.force, updateNrs: r.updateNrs } };
    case 'filesContainerSync':
      return { tag: 'files-container-sync', val: { local: toWitLocal(r.local), url: r.url, forceOrDelete: r.delete, updateNrs: r.updateNrs } };
    case 'filesContainerAddFromRaw':
      return { tag: 'files-container-add-from-raw', val: { data: r.data, url: r.url, force: r.force, updateNrs: r.updateNrs } };
    case 'filesContainerRemovePath':
      return { tag: 'files-container-remove-path', val: { url: r.url, recursive: r.recursive, updateNrs: r.updateNrs } };
    case 'filesContainerGet':
      return { tag: 'files-container-get', val: r.url };
    case 'nrsCreate':
      return { tag: 'nrs-create', val: r.topName };
    case 'nrsAssociate':
      return { tag: 'nrs-associate', val: [r.name, r.link] };
    case 'nrsAdd':
      return { tag: 'nrs-add', val: [r.name, r.link] };
    case 'nrsRemove':
      return { tag: 'nrs-remove', val: r.name };
    case 'nrsGet':
      return { tag: 'nrs-get', val: [r.name, r.version] };
    case 'multimapCreate':
      return { tag: 'multimap-create', val: [r.name, r.tag] };
    case 'multimapGetByKey':
      return { tag: 'multimap-get-by-key', val: [r.url, r.key] };
    case 'multimapGetByHash':
      return { tag: 'multimap-get-by-hash', val: [r.url, r.hash] };
    case 'multimapInsert':
      return { tag: 'multimap-insert', val: { url: r.url, key: r.key, value: r.value, replace: r.replace } };
    case 'multimapRemove':
      return { tag: 'multimap-remove', val: [r.url, r.hashes] };
  }
}

/** The WIT form of what a walk found: each file becomes a source opened when first read. */
function toWitLocal(local: WireLocal): Wit.LocalItems {
  return {
    location: local.location,
    items: local.entries.map((e): Wit.LocalItem => ({
      path: e.path,
      kind:
        e.kind === 'file'
          ? { tag: 'file', val: ByteSource.lazyFile(e.absolute, e.size) }
          : e.kind === 'dir'
            ? { tag: 'dir' }
            : { tag: 'symlink', val: [e.symlinkTarget ?? '', e.symlinkTargetType ?? 'unknown'] },
      modeBits: e.modeBits,
      readonly: e.readonly,
      created: e.created,
      modified: e.modified,
    })),
  };
}

/** The API value of a response, and the buffers to transfer (not copy) to the main thread. */
export function fromWitResponse(r: Wit.Response): { value: unknown; transfer: ArrayBuffer[] } {
  switch (r.tag) {
    case 'connected': {
      const info: NetworkInfo = { nodes: r.val.nodes, epoch: Number(r.val.epoch), replicationFactor: r.val.replicationFactor };
      return { value: info, transfer: [] };
    }
    case 'stored':
      return { value: r.val, transfer: [] };
    case 'bytes':
      return { value: r.val, transfer: [r.val.buffer as ArrayBuffer] };
    case 'data':
      return fromSafeData(r.val);
    case 'keypair':
      return { value: keypair(r.val), transfer: [] };
    case 'url':
    case 'entry-hash':
    case 'balance':
    case 'transfer-id':
      return { value: r.val, transfer: [] };
    case 'entries': {
      const value: RegisterEntry[] = r.val.map((e) => ({ hash: e.hash, entry: e.entry }));
      return { value, transfer: r.val.map((e) => e.entry.buffer as ArrayBuffer) };
    }
    case 'entry':
      return { value: r.val, transfer: [r.val.buffer as ArrayBuffer] };
    case 'key-created':
      return { value: [r.val[0], keypair(r.val[1])], transfer: [] };
    case 'container': {
      const c = r.val;
      const value: ContainerValue = { url: c.url, version: c.version ?? null, processed: processedFiles(c.processed), filesMap: filesMap(c.filesMap) };
      return { value, transfer: [] };
    }
    case 'nrs-added':
      return { value: [r.val[0], r.val[1]], transfer: [] };
    case 'nrs': {
      const value: NrsValue = { link: r.val.link ?? null, version: r.val.version ?? null, nrsMap: record(r.val.nrsMap) };
      return { value, transfer: [] };
    }
    case 'multimap':
      return { value: multimapEntries(r.val), transfer: [] };
    case 'chain': {
      const steps = r.val.map(fromSafeData);
      return { value: steps.map((s) => s.value), transfer: steps.flatMap((s) => s.transfer) };
    }
    case 'done':
      return { value: undefined, transfer: [] };
  }
}

/** What the FilesContainer operations give, before `Safe` shapes it as sn_api did. */
export interface ContainerValue {
  url: string;
  version: string | null;
  processed: ProcessedFiles;
  filesMap: FilesMap;
}

/** What `nrs-get` gives. */
export interface NrsValue {
  link: string | null;
  version: string | null;
  nrsMap: Record<string, string>;
}

/** An object of pairs; `Object.fromEntries` defines each key as an own property (even `__proto__`). */
function record<T>(pairs: Array<[string, T]>): Record<string, T> {
  return Object.fromEntries(pairs);
}

function fileInfo(info: Array<[string, string]>): FileInfo {
  return record(info);
}

function filesMap(map: Array<[string, Array<[string, string]>]>): FilesMap {
  return record(map.map(([path, info]) => [path, fileInfo(info)]));
}

function processedFiles(processed: Array<[string, Wit.FileChange]>): ProcessedFiles {
  return record(
    processed.map(([path, c]): [string, FileChange] => {
      switch (c.tag) {
        case 'added':
          return [path, { change: 'Added', link: c.val }];
        case 'updated':
          return [path, { change: 'Updated', link: c.val }];
        case 'removed':
          return [path, { change: 'Removed', link: c.val }];
        case 'failed':
          return [path, { change: 'Failed', reason: c.val }];
      }
    }),
  );
}

function multimapEntries(entries: Wit.MultimapEntry[]): MultimapEntry[] {
  return entries.map((e) => ({ hash: e.hash, key: e.key, value: e.value }));
}

/** A type tag as a number when it is one exactly, else a bigint. */
function typeTag(tag: bigint): number | bigint {
  return tag <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tag) : tag;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function keypair(k: Wit.Keypair): Keypair {
  return { publicKey: k.publicKey, secretKey: k.secretKey };
}

function fromSafeData(d: Wit.SafeData): { value: SafeData; transfer: ArrayBuffer[] } {
  switch (d.tag) {
    case 'public-file': {
      const f = d.val;
      const value: SafeData = {
        type: 'PublicFile',
        xorurl: f.xorurl,
        xorname: hex(f.xorname),
        data: f.data,
        ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}),
        ...(f.metadata !== undefined ? { metadata: fileInfo(f.metadata) } : {}),
        resolvedFrom: f.resolvedFrom,
        size: Number(f.size),
      };
      return { value, transfer: f.data.length > 0 ? [f.data.buffer as ArrayBuffer] : [] };
    }
    case 'files-container': {
      const c = d.val;
      const value: SafeData = {
        type: 'FilesContainer',
        xorurl: c.xorurl,
        xorname: hex(c.xorname),
        typeTag: typeTag(c.typeTag),
        version: c.version ?? null,
        filesMap: filesMap(c.filesMap),
        ...(c.metadata !== undefined ? { metadata: fileInfo(c.metadata) } : {}),
        resolvedFrom: c.resolvedFrom,
      };
      return { value, transfer: [] };
    }
    case 'nrs-map-container': {
      const n = d.val;
      const value: SafeData = {
        type: 'NrsMapContainer',
        publicName: n.publicName,
        xorurl: n.xorurl,
        xorname: hex(n.xorname),
        typeTag: typeTag(n.typeTag),
        version: n.version ?? null,
        nrsMap: record(n.nrsMap),
        resolvedFrom: n.resolvedFrom,
      };
      return { value, transfer: [] };
    }
    case 'nrs-entry': {
      const e = d.val;
      const value: SafeData = {
        type: 'NrsEntry',
        publicName: e.publicName,
        xorurl: e.xorurl,
        version: e.version ?? null,
        resolvesInto: e.resolvesInto,
        resolvedFrom: e.resolvedFrom,
      };
      return { value, transfer: [] };
    }
    case 'safe-key': {
      const k = d.val;
      return { value: { type: 'SafeKey', xorurl: k.xorurl, xorname: hex(k.xorname), resolvedFrom: k.resolvedFrom }, transfer: [] };
    }
    case 'register': {
      const r = d.val;
      const value: SafeData = {
        type: 'Register',
        xorurl: r.xorurl,
        xorname: hex(r.xorname),
        typeTag: typeTag(r.typeTag),
        entries: r.entries.map((e) => ({ hash: e.hash, entry: e.entry })),
        resolvedFrom: r.resolvedFrom,
      };
      return { value, transfer: [] };
    }
    case 'multimap': {
      const m = d.val;
      const value: SafeData = {
        type: 'Multimap',
        xorurl: m.xorurl,
        xorname: hex(m.xorname),
        typeTag: typeTag(m.typeTag),
        entries: multimapEntries(m.entries),
        resolvedFrom: m.resolvedFrom,
      };
      return { value, transfer: [] };
    }
  }
}

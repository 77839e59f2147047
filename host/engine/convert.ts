/**
 * Conversions between the host's operation messages and the component's WIT types, done in the
 * worker so the main thread receives plain API values.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { Keypair, NetworkInfo, RegisterEntry, SafeData } from '../api/types.js';
import { toWitAddress } from './sockets.js';
import type { OpRequest } from './protocol.js';
import type { ByteSource } from './sources.js';

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
  }
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
    case 'done':
      return { value: undefined, transfer: [] };
  }
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
        xorname: Buffer.from(f.xorname).toString('hex'),
        data: f.data,
        ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}),
        resolvedFrom: f.resolvedFrom,
        size: Number(f.size),
      };
      return { value, transfer: [f.data.buffer as ArrayBuffer] };
    }
  }
}

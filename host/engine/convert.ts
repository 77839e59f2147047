/**
 * Conversions between the host's operation messages and the component's WIT types, done in the
 * worker so the main thread receives plain API values.
 */
import type * as Wit from '../../pkg/js/interfaces/safe-client-client.js';
import type { NetworkInfo, SafeData } from '../api/types.js';
import { toWitAddress } from './sockets.js';
import type { OpRequest } from './protocol.js';

export function toWitRequest(r: OpRequest): Wit.Request {
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
    case 'filesGet':
      return { tag: 'files-get', val: [r.url, r.range] };
    case 'fetch':
      return { tag: 'fetch', val: [r.url, r.range] };
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
  }
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

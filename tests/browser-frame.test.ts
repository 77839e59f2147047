// The relay's frame format (host/relay/frame.ts): datagrams round-trip through frames of at
// most MAX_FRAME bytes, in order, IPv4 and IPv6; malformed frames are refused whole.
import { describe, expect, it } from 'vitest';

import { toWitAddress } from '../dist/engine/address.js';
import { MAX_DATAGRAM, MAX_FRAME, decodeFrame, encodeFrames, type FrameRecord } from '../dist/relay/frame.js';

function records(n: number, size: (i: number) => number): FrameRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    address: i % 3 === 0 ? toWitAddress('fe80::1:2', 1000 + i) : toWitAddress(`127.0.${i % 256}.1`, 2000 + i),
    payload: Uint8Array.from({ length: size(i) }, (_, k) => (i * 31 + k) & 0xff),
  }));
}

describe('relay frames', () => {
  it('round-trip datagrams in order, packed into as few frames as fit', () => {
    const input = records(200, (i) => (i * 997) % 5000);
    const frames = encodeFrames(input);
    const total = input.reduce((sum, r) => sum + r.payload.length + (r.address.tag === 'ipv4' ? 9 : 21), 0);
    // Greedy packing: never more than one frame beyond the least possible.
    expect(frames.length).toBeGreaterThanOrEqual(Math.ceil(total / MAX_FRAME));
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(total / MAX_FRAME) + 1);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_FRAME);
    const output = frames.flatMap((f) => {
      const d = decodeFrame(f);
      if ('error' in d) throw new Error(d.error);
      return d.records;
    });
    expect(output.map((r) => r.address)).toEqual(input.map((r) => r.address));
    expect(output.map((r) => [...r.payload])).toEqual(input.map((r) => [...r.payload]));
  });

  it('carries a datagram of the largest size, and an empty one', () => {
    const input = records(2, (i) => (i === 0 ? MAX_DATAGRAM : 0));
    const frames = encodeFrames(input);
    const d = decodeFrame(frames[0]!);
    expect('records' in d && d.records.map((r) => r.payload.length)).toEqual([MAX_DATAGRAM, 0]);
  });

  it('refuses malformed frames whole', () => {
    const [good] = encodeFrames(records(2, () => 10));
    expect(decodeFrame(good!.subarray(0, good!.length - 1))).toHaveProperty('error');
    expect(decodeFrame(Uint8Array.of(5, 1, 2, 3))).toHaveProperty('error');
    expect(decodeFrame(Uint8Array.of(4, 127, 0, 0, 1, 0, 80))).toHaveProperty('error');
    expect(decodeFrame(new Uint8Array(MAX_FRAME + 1))).toHaveProperty('error');
    expect(decodeFrame(new Uint8Array(0))).toEqual({ records: [] });
  });
});

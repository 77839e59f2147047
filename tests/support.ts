// Shared helpers of the end-to-end suites: real safe-node processes on loopback, in temporary
// directories that are removed afterwards.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NodeProcess } from '../dist/testnet/node-process.js';

export { NodeProcess };

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'safe-wasi-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts one node in a temporary root; `stop()` stops it and removes the root. */
export async function startNode(): Promise<NodeProcess & { cleanup(): Promise<void> }> {
  const dir = tempDir('safe-node-');
  const node = await NodeProcess.start({ root: dir.path });
  return Object.assign(node, {
    async cleanup() {
      node.resume();
      await node.stop();
      dir.remove();
    },
  });
}

/** SHA3-256 of `data` in hex: a chunk's address, computed independently of the client. */
export function sha3(data: Uint8Array): string {
  return createHash('sha3-256').update(data).digest('hex');
}

/** `n` bytes of a deterministic, non-repeating-looking pattern (different per `seed`). */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

// Lifetime: pending operations keep their instance (and the process) alive; close() rejects
// what is pending with Closed and releases the sockets; a Safe dropped without close() neither
// crashes the process nor keeps it running. Process-level behaviour is checked in child
// processes, which must exit on their own.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeError } from '../dist/index.js';
import { pattern, startNode } from './support.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
let node: Awaited<ReturnType<typeof startNode>>;

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.cleanup();
});

/** Runs an ES module script in a fresh Node process; it must exit by itself within 20 s. */
function runScript(source: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--expose-gc', '--input-type=module', '-e', source, ...args], { cwd: root, timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error && error.killed) reject(new Error(`script did not exit by itself within 20 s\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ code: child.exitCode, stdout, stderr });
    });
  });
}

describe('close()', () => {
  it('rejects operations in flight with Closed, without waiting for them', async () => {
    const safe = new Safe(null, 60);
    await safe.connect({ bootstrap: [node.addr] });
    const url = await safe.storeBytes(pattern(1000));
    await node.pause();
    try {
      const pending = [safe.fetch(url), safe.filesGet(url), safe.storeBytes(pattern(10, 5))].map((p) =>
        p.then(
          () => 'resolved',
          (e: SafeError) => e.code,
        ),
      );
      // Let the three reach the component before closing.
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      await safe.close();
      expect(await Promise.all(pending)).toEqual(['Closed', 'Closed', 'Closed']);
      // Nothing waited for the frozen node (timeout 60 s).
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      node.resume();
    }
  });

  it('lets the process exit, even with an operation pending at close', async () => {
    const { code, stdout } = await runScript(`
      import { Safe } from 'safe-wasi';
      const safe = new Safe(null, 60);
      await safe.connect({ bootstrap: [process.argv[1]] });
      const url = await safe.storeBytes(new Uint8Array(100));
      const pending = safe.fetch(url).catch((e) => e.code);
      await safe.close();
      console.log('pending:', await pending);
    `, [node.addr]);
    expect(stdout).toContain('pending: ');
    expect(code).toBe(0);
  });
});

describe('lifetime without close()', () => {
  it('keeps the process alive while operations are in flight', async () => {
    // Nothing awaits at the top level: only the pending operations keep the process running.
    const { code, stdout } = await runScript(`
      import { Safe } from 'safe-wasi';
      const safe = new Safe(null, 30);
      safe.connect({ bootstrap: [process.argv[1]] })
        .then(() => safe.storeBytes(new Uint8Array(200_000).fill(7)))
        .then((url) => safe.fetch(url))
        .then((file) => console.log('fetched', file.size, file.data[199_999]));
    `, [node.addr]);
    expect(stdout.trim()).toBe('fetched 200000 7');
    expect(code).toBe(0);
  });

  it('does not keep the process alive once idle', async () => {
    const { code, stdout } = await runScript(`
      import { Safe } from 'safe-wasi';
      const safe = new Safe(null, 30);
      await safe.connect({ bootstrap: [process.argv[1]] });
      await safe.storeBytes(new Uint8Array([1, 2, 3]));
      console.log('idle');
    `, [node.addr]);
    expect(stdout.trim()).toBe('idle');
    expect(code).toBe(0);
  });

  it('survives a dropped, garbage-collected Safe', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { Safe } from 'safe-wasi';
      async function use() {
        const safe = new Safe(null, 30);
        await safe.connect({ bootstrap: [process.argv[1]] });
        return safe.storeBytes(new Uint8Array([9, 9, 9]));
      }
      for (let i = 0; i < 3; i++) await use();
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      // A new instance still works after the old ones were collected.
      const safe = new Safe(null, 30);
      await safe.connect({ bootstrap: [process.argv[1]] });
      console.log('still working', (await safe.fetch(await safe.storeBytes(new Uint8Array([1])))).size);
    `, [node.addr]);
    expect(stderr).not.toMatch(/Error|Segmentation|Aborted/);
    expect(stdout.trim()).toBe('still working 1');
    expect(code).toBe(0);
  });
});

describe('the package', () => {
  it('loads with require() as well as import', async () => {
    const source = "const { Safe, SafeError, ErrorCodes } = require('safe-wasi'); console.log(typeof Safe, typeof SafeError, ErrorCodes.includes('NotFound'));";
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--no-warnings', '-e', source], { cwd: root, timeout: 20_000 }, (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout))),
    );
    expect(out.trim()).toBe('function function true');
  });
});

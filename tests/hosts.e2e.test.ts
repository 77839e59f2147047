// Cross-host end to end: the Rust host (`target/release/safe-wasmtime`, the same component in
// wasmtime, and `--native`, the same core linked natively) against a real local testnet, as a
// child process, with the Node host on the other side. What one host stores, the other reads:
// files of 0, 1, 3 bytes, 1 MiB and 9 MiB, ranges across self-encryption's chunk boundaries,
// fetch/inspect JSON, and the error exits (code on stderr, exit status 1).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { noise, publicFile, tempDir } from './support.js';

const MiB = 1024 * 1024;
/** The size of self-encryption's pieces: chunk boundaries of a large file. */
const PIECE = 1_044_480;
const BINARY = join(import.meta.dirname, '..', 'target', 'release', 'safe-wasmtime');

let testnet: Testnet;
let dir: ReturnType<typeof tempDir>;
let safe: Safe;

beforeAll(async () => {
  dir = tempDir('safe-hosts-');
  testnet = await startTestnet({ nodes: 5, replicas: 3, basePort: 0, dir: join(dir.path, 'net'), contactsFile: null });
  safe = new Safe(null, 120);
  await safe.connect({ bootstrap: testnet.contacts });
}, 60_000);

afterAll(async () => {
  await safe?.close();
  await testnet?.stop();
  dir?.remove();
});

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs safe-wasmtime with the testnet's contacts; never rejects. */
function run(backend: string[], args: string[]): Promise<Run> {
  const contacts = testnet.contacts.flatMap((c) => ['--bootstrap', c]);
  return new Promise((resolve) => {
    execFile(BINARY, [...contacts, ...backend, ...args], { encoding: 'buffer', maxBuffer: 64 * MiB }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr.toString('utf8') });
    });
  });
}

async function ok(backend: string[], args: string[]): Promise<Buffer> {
  const r = await run(backend, args);
  expect(r.stderr, `safe-wasmtime ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

const SIZES = [0, 1, 3, MiB, 9 * MiB];

for (const [name, backend] of [['wasmtime', []], ['native', ['--native']]] as const) {
  describe(`safe-wasmtime (${name}) and the Node host`, () => {
    it('reads what the Node host stored, whole and in ranges across chunk boundaries', async () => {
      for (const size of SIZES) {
        const data = noise(size);
        const url = await safe.storeBytes(data);
        const got = await ok([...backend], ['get', url]);
        expect(got.length, `${size} bytes`).toBe(size);
        expect(Buffer.compare(got, Buffer.from(data)), `${size} bytes`).toBe(0);
        if (size >= 9 * MiB) {
          for (const [start, end] of [[PIECE - 10, PIECE + 10], [2 * PIECE - 1, 5 * PIECE + 1], [size - 5, size]]) {
            const part = await ok([...backend], ['get', url, '--range', `${start}:${end}`]);
            expect(Buffer.compare(part, Buffer.from(data.subarray(start, end))), `${start}:${end}`).toBe(0);
          }
          const tail = await ok([...backend], ['get', url, '--range', `${8 * PIECE + 3}:`]);
          expect(Buffer.compare(tail, Buffer.from(data.subarray(8 * PIECE + 3)))).toBe(0);
        }
      }
    }, 300_000);

    it('stores files the Node host reads back byte for byte', async () => {
      for (const size of SIZES) {
        const data = noise(size);
        const path = join(dir.path, `${name}-${size}.bin`);
        writeFileSync(path, data);
        const url = (await ok([...backend], ['put', path])).toString('utf8').trim();
        expect(url).toMatch(/^safe:\/\//);
        const back = await safe.filesGet(url);
        expect(back.length, `${size} bytes`).toBe(size);
        expect(Buffer.compare(Buffer.from(back), Buffer.from(data)), `${size} bytes`).toBe(0);
      }
    }, 300_000);

    it('prints fetch and inspect as JSON', async () => {
      const data = new TextEncoder().encode('<h1>hosts</h1>');
      const url = await safe.storeBytes(data, 'text/html');
      const fetched = JSON.parse((await ok([...backend], ['fetch', url])).toString('utf8'));
      expect(fetched).toMatchObject({ type: 'PublicFile', xorurl: url, mediaType: 'text/html', size: data.length, resolvedFrom: url });
      expect(Buffer.from(fetched.data, 'base64').toString('utf8')).toBe('<h1>hosts</h1>');
      const node = publicFile(await safe.fetch(url));
      expect(fetched.xorname).toBe(node.xorname);
      const chain = JSON.parse((await ok([...backend], ['inspect', url])).toString('utf8'));
      expect(chain).toHaveLength(1);
      expect(chain[0]).toMatchObject({ type: 'PublicFile', xorurl: url, size: data.length });
      expect(chain[0].data).toBeUndefined();
    }, 120_000);

    it('reports bad input with its code on stderr and exit status 1', async () => {
      const malformed = await run([...backend], ['get', 'safe://not a url']);
      expect(malformed.code).toBe(1);
      expect(malformed.stderr).toMatch(/^InvalidUrl: /);
      expect(malformed.stdout.length).toBe(0);
      // A well-formed XOR-URL of a file nobody stored.
      const absent = SafeUrl.encode({ xorname: Buffer.from(noise(32)).toString('hex'), contentType: 'Raw', dataType: 'File' });
      const missing = await run([...backend], ['get', absent]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^NotFound: /);
      const noFile = await run([...backend], ['put', join(dir.path, 'does-not-exist')]);
      expect(noFile.code).toBe(1);
      expect(noFile.stderr).toMatch(/^InvalidArgument: /);
      const usage = await run([...backend], ['frobnicate']);
      expect(usage.code).toBe(2);
    }, 120_000);
  });
}

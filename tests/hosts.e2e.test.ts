// The Rust host's command line end to end: `target/release/safe-wasmtime` (the component in
// wasmtime, and `--native`, the same core linked natively) as a child process against a real
// local testnet, with the Node host on the other side: put, get (whole and ranged), fetch and
// inspect JSON, the error exits (code on stderr, exit status 1; usage errors 2), the
// compiled-component cache ($SAFE_WASMTIME_CACHE), and, with the fault-injection build
// (pkg/faults/), the send allowlist and a trap. The API itself in every host, and every host
// reading what the others stored, are the shared acceptance suite's (tests/acceptance.e2e.test.ts,
// which drives this binary through `safe-wasmtime serve`).
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Safe, SafeUrl } from '../dist/index.js';
import { startTestnet, type Testnet } from '../dist/testnet/launcher.js';
import { failure, noise, publicFile, tempDir } from './support.js';

const MiB = 1024 * 1024;
const BINARY = join(import.meta.dirname, '..', 'target', 'release', 'safe-wasmtime');
/** The compiled component, kept under target/ so a fresh clone compiles it once per build. */
const CACHE = join(import.meta.dirname, '..', 'target', 'wasmtime-cache');

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

/** Runs safe-wasmtime with the testnet's contacts (and the cache under target/); never rejects. */
function run(backend: string[], args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> {
  const contacts = testnet.contacts.flatMap((c) => ['--bootstrap', c]);
  const env: NodeJS.ProcessEnv = { ...process.env, SAFE_WASMTIME_CACHE: CACHE, ...extraEnv };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(BINARY, [...contacts, ...backend, ...args], { encoding: 'buffer', maxBuffer: 64 * MiB, env }, (error, stdout, stderr) => {
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

for (const [name, backend] of [['wasmtime', []], ['native', ['--native']]] as const) {
  describe(`safe-wasmtime (${name}) on the command line`, () => {
    it('puts a file the Node host reads, and gets, fetches and inspects one the Node host stored', async () => {
      const put = noise(3000);
      const path = join(dir.path, `${name}.bin`);
      writeFileSync(path, put);
      // --dry-run: the URL the put will give, with nothing stored yet.
      const dryUrl = (await ok([...backend], ['put', path, '--media-type', 'application/octet-stream', '--dry-run'])).toString('utf8').trim();
      expect((await failure(() => safe.fetch(dryUrl))).code).toBe('NotFound');
      const putUrl = (await ok([...backend], ['put', path, '--media-type', 'application/octet-stream'])).toString('utf8').trim();
      expect(putUrl).toMatch(/^safe:\/\//);
      expect(putUrl).toBe(dryUrl);
      expect(SafeUrl.parse(putUrl).contentType).toBe('application/octet-stream');
      expect(Buffer.compare(Buffer.from(await safe.filesGet(putUrl)), Buffer.from(put))).toBe(0);

      const data = new TextEncoder().encode(`<h1>${name} on the command line</h1>`);
      const url = await safe.storeBytes(data, 'text/html');
      expect(Buffer.compare(await ok([...backend], ['get', url]), Buffer.from(data))).toBe(0);
      expect((await ok([...backend], ['get', url, '--range', '4:9'])).toString('utf8')).toBe(Buffer.from(data.subarray(4, 9)).toString('utf8'));
      expect((await ok([...backend], ['get', url, '--range', '4:'])).toString('utf8')).toBe(Buffer.from(data.subarray(4)).toString('utf8'));

      const fetched = JSON.parse((await ok([...backend], ['fetch', url])).toString('utf8'));
      const node = publicFile(await safe.fetch(url));
      expect(fetched).toMatchObject({ type: 'PublicFile', xorurl: url, xorname: node.xorname, mediaType: 'text/html', size: data.length, resolvedFrom: url });
      expect(Buffer.from(fetched.data, 'base64').equals(Buffer.from(data))).toBe(true);
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

describe('safe-wasmtime compiled-component cache', () => {
  it('compiles once into $SAFE_WASMTIME_CACHE, reuses the entry, and recompiles over a damaged one', async () => {
    const cache = join(dir.path, 'cache with spaces');
    const url = await safe.storeBytes(new TextEncoder().encode('cached'));
    const entries = () => readdirSync(cache, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cwasm')).map((f) => join(cache, f));

    const env = { SAFE_WASMTIME_CACHE: cache };
    const first = await run([], ['get', url], env);
    expect(first.stderr).toBe('');
    expect(first.stdout.toString('utf8')).toBe('cached');
    const [entry, ...more] = entries();
    expect(more).toEqual([]);
    const written = statSync(entry!);
    expect(written.size).toBeGreaterThan(1024 * 1024);
    expect(statSync(join(entry!, '..')).mode & 0o077).toBe(0);

    const second = await run([], ['get', url], env);
    expect(second.stdout.toString('utf8')).toBe('cached');
    expect(statSync(entry!).mtimeMs).toBe(written.mtimeMs);

    // A damaged entry is refused by wasmtime, reported (in the debug log), and replaced: the
    // run still works.
    writeFileSync(entry!, 'not machine code');
    const third = await run([], ['get', url], { ...env, SAFE_WASMTIME_DEBUG: '1' });
    expect(third.code).toBe(0);
    expect(third.stdout.toString('utf8')).toBe('cached');
    expect(third.stderr).toMatch(/ignoring the cached component/);
    expect(statSync(entry!).size).toBe(written.size);

    // Without $SAFE_WASMTIME_CACHE, the user's cache directory; set empty, no cache at all.
    const xdg = join(dir.path, 'xdg');
    const defaulted = await run([], ['get', url], { SAFE_WASMTIME_CACHE: undefined, XDG_CACHE_HOME: xdg });
    expect(defaulted.stdout.toString('utf8')).toBe('cached');
    const user = join(xdg, 'safe-wasi', 'wasmtime');
    expect(readdirSync(user, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.cwasm'))).toHaveLength(1);
    const noneXdg = join(dir.path, 'xdg-none');
    const uncached = await run([], ['get', url], { SAFE_WASMTIME_CACHE: '', XDG_CACHE_HOME: noneXdg });
    expect(uncached.stdout.toString('utf8')).toBe('cached');
    expect(() => statSync(noneXdg)).toThrow();
  }, 180_000);
});

describe('safe-wasmtime with a misbehaving component (pkg/faults/)', () => {
  const FAULTS = join(import.meta.dirname, '..', 'pkg', 'faults', 'safe_client.wasm');
  const component = ['--component', FAULTS];

  /** A UDP socket on loopback that keeps what reaches it: an address outside the network. */
  async function outside(): Promise<{ port: number; received: Buffer[]; close: () => void }> {
    const socket = createSocket('udp4');
    const received: Buffer[] = [];
    socket.on('message', (m) => received.push(m));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return { port: socket.address().port, received, close: () => socket.close() };
  }

  it('drops and reports a datagram to an address outside the network, and sends it when allowed', async () => {
    if (!existsSync(FAULTS)) throw new Error(`${FAULTS} is missing: build it with \`node scripts/build.mjs --tests\``);
    const target = await outside();
    try {
      const url = `safe://fault.send/127.0.0.1:${target.port}`;
      const refused = await run(component, ['fetch', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^NotFound: fault injection: sent one datagram/m);
      expect(refused.stderr).toContain(`refused to send 1 datagram(s) to 127.0.0.1:${target.port}`);
      // The process has exited: anything sent would have arrived on loopback by now.
      await new Promise((r) => setTimeout(r, 200));
      expect(target.received).toHaveLength(0);

      // The same with --allow reaches the socket, so the test above could fail.
      const allowed = await run([...component, '--allow', `127.0.0.1:${target.port}`], ['fetch', url]);
      expect(allowed.code).toBe(1);
      expect(allowed.stderr).not.toContain('refused');
      const deadline = Date.now() + 5000;
      while (target.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(target.received.map((m) => m.toString())).toEqual(['a datagram the network map does not allow']);
    } finally {
      target.close();
    }
  }, 120_000);

  it('reports a trap as Internal with exit status 1, not a crash', async () => {
    const trapped = await run(component, ['fetch', 'safe://fault.trap']);
    expect(trapped.code).toBe(1);
    expect(trapped.stderr).toMatch(/^Internal: /m);
  }, 120_000);
});

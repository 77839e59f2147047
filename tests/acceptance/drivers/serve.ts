// The Rust host as the acceptance suite drives it: one `safe-wasmtime serve` child process per
// backend (the component in wasmtime, or `--native`), speaking the JSON-lines protocol of
// crates/wasmtime-host/src/serve.rs on its stdin and stdout. Calls are written as they are
// made, so several are in flight at once and the process's lock orders them; answers are
// matched by id. Bytes cross as base64; the answers are turned back into the TypeScript API's
// shapes (Uint8Array for bytes, SafeError for errors), so the suite sees what Node's Safe gives.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { SafeError, type ErrorCode, type MultimapEntry, type RegisterEntry, type SafeData } from '../../../dist/index.js';
import { CAPABILITIES, forwarding, type Host, type HostSafe } from '../host.js';

/** The Rust host's binary, built by `npm run build`. */
export const SAFE_WASMTIME = join(import.meta.dirname, '..', '..', '..', 'target', 'release', 'safe-wasmtime');
/** The compiled component's cache, under target/ so a fresh clone compiles it once per build. */
export const WASMTIME_CACHE = join(import.meta.dirname, '..', '..', '..', 'target', 'wasmtime-cache');
/** The longest one call may take before the driver gives up on the process (a 9 MiB store on a busy machine takes seconds). */
const CALL_LIMIT_MS = 300_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function toBytes(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new Error(`expected base64 bytes, got ${JSON.stringify(value)}`);
  const b = Buffer.from(value, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function registerEntry(e: { hash: string; entry: string }): RegisterEntry {
  return { hash: e.hash, entry: toBytes(e.entry) };
}

function multimapEntry(e: { hash: string; key: string; value: string }): MultimapEntry {
  return { hash: e.hash, key: toBytes(e.key), value: toBytes(e.value) };
}

/** A SafeData as serve writes it (bytes in base64) in the API's shape. */
function safeData(value: unknown): SafeData {
  const d = value as Record<string, unknown> & { type: SafeData['type'] };
  switch (d.type) {
    case 'PublicFile':
      return { ...d, data: toBytes(d['data']) } as SafeData;
    case 'Register':
      return { ...d, entries: (d['entries'] as Array<{ hash: string; entry: string }>).map(registerEntry) } as SafeData;
    case 'Multimap':
      return { ...d, entries: (d['entries'] as Array<{ hash: string; key: string; value: string }>).map(multimapEntry) } as SafeData;
    default:
      return d as unknown as SafeData;
  }
}

/** How each method's answer becomes the API's value; the rest are JSON as they are. */
const DECODE: Partial<Record<keyof HostSafe, (value: unknown) => unknown>> = {
  filesGet: toBytes,
  registerReadEntry: toBytes,
  fetch: safeData,
  inspect: (v) => (v as unknown[]).map(safeData),
  registerRead: (v) => (v as Array<{ hash: string; entry: string }>).map(registerEntry),
  multimapGetByKey: (v) => (v as Array<{ hash: string; key: string; value: string }>).map(multimapEntry),
  multimapGetByHash: (v) => multimapEntry(v as { hash: string; key: string; value: string }),
  connect: () => undefined,
  setKeypair: () => undefined,
  close: () => undefined,
};

/** An argument as serve reads it: bytes in base64, `undefined` as null. */
function encode(value: unknown): Json {
  if (value === undefined) return null;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value as Json;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Starts `safe-wasmtime [--native] serve` with `env` (the suite gives it an empty SAFE_HOME
 * and the component cache) and returns it as a host once it answers (the first start after a
 * build compiles the component). Its first instance is the process's instance 0; later ones
 * are made with the protocol's `new`.
 */
export async function serveHost(name: 'wasmtime' | 'native', env: NodeJS.ProcessEnv): Promise<Host> {
  const child: ChildProcessWithoutNullStreams = spawn(SAFE_WASMTIME, [...(name === 'native' ? ['--native'] : []), 'serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-8192);
  });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `safe-wasmtime serve (${name}) exited (${signal ?? `status ${code}`}); stderr: ${stderr || '(empty)'}`;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${p.method}: ${exited}`));
      }
      pending.clear();
      resolve();
    });
  });
  child.once('error', (e) => {
    exited = `safe-wasmtime could not start (${e.message}): build it with \`node scripts/build.mjs\``;
  });

  createInterface({ input: child.stdout }).on('line', (line) => {
    let answer: { id: number | null; ok?: unknown; error?: { code: ErrorCode; message: string } };
    try {
      answer = JSON.parse(line) as typeof answer;
    } catch {
      throw new Error(`safe-wasmtime serve (${name}) wrote a line that is not JSON: ${line.slice(0, 200)}`);
    }
    const p = answer.id === null ? undefined : pending.get(answer.id);
    if (!p) throw new Error(`safe-wasmtime serve (${name}) answered an unknown request: ${line.slice(0, 200)}`);
    pending.delete(answer.id!);
    clearTimeout(p.timer);
    if (answer.error) p.reject(new SafeError(answer.error.code, answer.error.message));
    else p.resolve(answer.ok);
  });

  /** Sends one request; resolves with its raw `ok` value. */
  function request(safe: number, method: string, args: unknown[]): Promise<unknown> {
    if (exited) return Promise.reject(new Error(`${method}: ${exited}`));
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`safe-wasmtime serve (${name}) did not answer ${method} within ${CALL_LIMIT_MS / 1000} s; stderr: ${stderr || '(empty)'}`));
      }, CALL_LIMIT_MS);
      pending.set(id, { method, resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ id, safe, method, args: args.map(encode) })}\n`);
    });
  }

  await request(0, 'isConnected', []);
  let instances = 0;
  return {
    name,
    capabilities: CAPABILITIES[name],
    async open(timeoutSecs?: number): Promise<HostSafe> {
      // Instance 0 exists from the start (with the default timeout); others are made on demand.
      const handle = instances++ === 0 && timeoutSecs === undefined ? 0 : ((await request(0, 'new', [null, timeoutSecs ?? null])) as number);
      return forwarding(async (method, args) => {
        const value = await request(handle, method, args);
        const decode = DECODE[method];
        return decode ? decode(value) : value;
      });
    },
    async stop() {
      if (exited) return;
      // The end of stdin: serve finishes what is in flight, closes its instances and exits.
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

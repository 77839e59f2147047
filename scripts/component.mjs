// The component and its JS bindings from a core module built by cargo (scripts/build.mjs, and
// the breakdown benchmark's build that keeps function names): the core module (its `name`
// section dropped unless asked to keep it) + the WASI preview1 reactor adapter ->
// `<dir>/safe_client.wasm`, then `jco transpile` -> `<dir>/js/`.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

import { root } from './toolchain.mjs';

const log = (/** @type {string} */ msg) => process.stderr.write(`[build] ${msg}\n`);
const mtime = (/** @type {string} */ p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/**
 * A core module without its `name` custom section (the Rust function names: about half a MiB
 * of the component, which only profiles and backtraces read). Every other section is kept as
 * it is, so function indices do not change.
 * @param {Uint8Array} module
 * @returns {Uint8Array}
 */
export function withoutNames(module) {
  /** @param {number} at @returns {[number, number]} the value and where it ends */
  const leb = (at) => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = /** @type {number} */ (module[at++]);
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) return [value, at];
    }
  };
  /** @type {Uint8Array[]} */
  const kept = [module.subarray(0, 8)];
  let at = 8;
  while (at < module.length) {
    const start = at;
    const [size, body] = leb(at + 1);
    const end = body + size;
    if (end > module.length) throw new Error('a truncated section in the core module');
    let name = '';
    if (module[start] === 0) {
      const [len, text] = leb(body);
      name = new TextDecoder().decode(module.subarray(text, text + len));
    }
    if (name !== 'name') kept.push(module.subarray(start, end));
    at = end;
  }
  return Buffer.concat(kept);
}

/**
 * The component and its bindings, when the core module changed.
 * @param {string} core the core module built by cargo
 * @param {string} dir where to write `safe_client.wasm` and `js/`
 * @param {{ keepNames?: boolean }} [options] keep the function names (for profiles)
 */
export async function componentAndBindings(core, dir, { keepNames = false } = {}) {
  const component = join(dir, 'safe_client.wasm');
  const bindings = join(dir, 'js');
  if (mtime(core) <= mtime(component) && existsSync(join(bindings, 'safe_client.js'))) return;
  // The WASI preview1 reactor adapter ships inside jco (a direct devDependency).
  const adapter = join(root, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm');
  const module = readFileSync(core);
  const bytes = await componentNew(keepNames ? module : withoutNames(module), [['wasi_snapshot_preview1', readFileSync(adapter)]]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(component, bytes);
  log(`component: ${component} (${(bytes.length / 1024).toFixed(0)} KiB)`);
  const { files } = await transpileBytes(bytes, { name: 'safe_client', instantiation: 'async' });
  rmSync(bindings, { recursive: true, force: true });
  for (const [name, data] of Object.entries(files)) {
    const path = join(bindings, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  log(`bindings: ${Object.keys(files).length} files in ${bindings}`);
}

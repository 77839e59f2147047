// The component and its JS bindings from a core module built by cargo (scripts/build.mjs, and
// the breakdown benchmark's build that keeps function names): the core module (through
// `wasm-opt -Oz`, unless asked to keep it as built) + the WASI preview1 reactor adapter ->
// `<dir>/safe_client.wasm`, then `jco transpile` -> `<dir>/js/`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

import { root } from './toolchain.mjs';

const log = (/** @type {string} */ msg) => process.stderr.write(`[build] ${msg}\n`);
const mtime = (/** @type {string} */ p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/**
 * The core module through binaryen's optimiser (`wasm-opt`, Debian's `binaryen`, installed by
 * scripts/setup.sh): `-Oz`, and without its function names (about half a MiB, which only
 * profiles and backtraces read) or producer notes. Its custom sections (the component type
 * wit-bindgen embeds) are kept.
 * @param {Uint8Array} module
 * @returns {Uint8Array}
 */
function optimised(module) {
  const dir = mkdtempSync(join(tmpdir(), 'safe-wasi-wasm-opt-'));
  try {
    const [input, output] = [join(dir, 'in.wasm'), join(dir, 'out.wasm')];
    writeFileSync(input, module);
    execFileSync('wasm-opt', ['-Oz', '--strip-debug', '--strip-producers', input, '-o', output], { stdio: 'inherit' });
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The component and its bindings, when the core module changed.
 * @param {string} core the core module built by cargo
 * @param {string} dir where to write `safe_client.wasm` and `js/`
 * @param {{ keepNames?: boolean }} [options] keep the module as cargo built it, function names
 *   and all (for profiles and the fault-injection build), instead of {@link optimised}
 */
export async function componentAndBindings(core, dir, { keepNames = false } = {}) {
  const component = join(dir, 'safe_client.wasm');
  const bindings = join(dir, 'js');
  if (mtime(core) <= mtime(component) && existsSync(join(bindings, 'safe_client.js'))) return;
  // The WASI preview1 reactor adapter ships inside jco (a direct devDependency).
  const adapter = join(root, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm');
  const module = readFileSync(core);
  const bytes = await componentNew(keepNames ? module : optimised(module), [['wasi_snapshot_preview1', readFileSync(adapter)]]);
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

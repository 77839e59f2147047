// The component and its JS bindings from a core module built by cargo (scripts/build.mjs, and
// the breakdown benchmark's build that keeps function names): the core module (through
// `wasm-opt -Oz`, unless asked to keep it as built) + the WASI preview1 reactor adapter ->
// `<dir>/safe_client.wasm`, then `jco transpile` -> `<dir>/js/` (with jco's debug log test
// taken out of the per-call path, see `withQuietDebugLog`).
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

/** jco 1.35's debug logger, which every crossing of the component calls several times. */
const DEBUG_LOG = `  const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`;

/**
 * The bindings with jco's `_debugLog` deciding once, when they load, whether `JCO_DEBUG` is
 * set. As generated, it reads `process.env` on each of its calls (about 190 sites, several per
 * call into the component), and in Node each read of `process.env` is a call into C++: a 1 KiB
 * read's median took about 0.1 ms (6 %) longer. Fails the build if jco generated something else,
 * so that a jco upgrade is checked against this again (the version is pinned in package.json).
 * @param {string} js safe_client.js as jco generated it
 */
function withQuietDebugLog(js) {
  const at = js.indexOf(DEBUG_LOG);
  if (at < 0 || js.indexOf(DEBUG_LOG, at + 1) >= 0) {
    throw new Error("jco's _debugLog is not the one scripts/component.mjs expects: check whether it still reads process.env per call, and update or drop withQuietDebugLog");
  }
  const decided = '  const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};';
  return js.replace(DEBUG_LOG, decided);
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
    writeFileSync(path, name === 'safe_client.js' ? withQuietDebugLog(Buffer.from(data).toString('utf8')) : data);
  }
  log(`bindings: ${Object.keys(files).length} files in ${bindings}`);
}

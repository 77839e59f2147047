// Builds everything, rebuilding only what changed:
//   1. the client component's core module (Rust, wasm32-wasip1); with --tests (npm test) also
//      its fault-injection build for the host tests -> pkg/faults/
//   2. the component (core module + WASI preview1 reactor adapter) -> pkg/safe_client.wasm
//   3. its JS bindings (jco transpile, async instantiation) -> pkg/js/
//   4. the native binaries (Rust, one invocation so they share their dependencies): the node
//      -> target/release/safe-node, the Rust host (wasmtime + native) -> target/release/safe-wasmtime,
//      and the WAN tests' user-space link emulator -> target/release/safe-wan-link
//   5. the TypeScript host -> dist/ (and the `safe` CLI made executable)
//   6. the browser bundle (esbuild) -> dist/browser/ (scripts/build-browser.mjs)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { componentNew } from '@bytecodealliance/jco-transpile/wasm-tools';

import { WASM_TARGET, cargo, root, toolchain } from './toolchain.mjs';

const log = (/** @type {string} */ msg) => process.stderr.write(`[build] ${msg}\n`);
const mtime = (/** @type {string} */ p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

log(`rust toolchain: ${toolchain.kind}`);

// 1. The core module.
cargo(['build', '--release', '--locked', '-p', 'safe-component', '--target', WASM_TARGET, ...toolchain.buildStd]);
const pkg = join(root, 'pkg');
await componentAndBindings(join(root, 'target', WASM_TARGET, 'release', 'safe_component.wasm'), pkg);

const forTests = process.argv.includes('--tests');

// 1b. With --tests: the fault-injection build the host tests load
// (crates/component/src/faults.rs), in the wasm test profile (shared with the crates' wasm
// tests, scripts/cargo-test.mjs) and its own directory, never in the product.
if (forTests) {
  cargo(['build', '--profile', 'wasm-test', '--locked', '-p', 'safe-component', '--features', 'faults', '--target', WASM_TARGET, ...toolchain.buildStd]);
  await componentAndBindings(join(root, 'target', WASM_TARGET, 'wasm-test', 'safe_component.wasm'), join(pkg, 'faults'));
}

/**
 * 2 + 3. The component and its bindings, when the core module changed.
 * @param {string} core the core module built by cargo
 * @param {string} dir where to write `safe_client.wasm` and `js/`
 */
async function componentAndBindings(core, dir) {
  const component = join(dir, 'safe_client.wasm');
  const bindings = join(dir, 'js');
  if (mtime(core) <= mtime(component) && existsSync(join(bindings, 'safe_client.js'))) return;
  // The WASI preview1 reactor adapter ships inside jco (a direct devDependency).
  const adapter = join(root, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm');
  const bytes = await componentNew(readFileSync(core), [['wasi_snapshot_preview1', readFileSync(adapter)]]);
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

// 4. The native binaries, in their own profile (no LTO: see Cargo.toml), copied to where the
// launcher, the tests and users look for them. With --tests also their test targets, built in
// the same invocation so that their features (dev-dependencies included) resolve once and
// `cargo test --profile native` (scripts/cargo-test.mjs) only runs them.
// The WAN tests' link emulator (crates/wan-link) joins that invocation with --tests, where it
// changes no dependency's features; without, it is built on its own, since its TUN crate turns
// on a libc feature the binaries' plain build does not have, which would rebuild all of theirs.
cargo(['build', '--profile', 'native', '--locked', '-p', 'safe-node', '-p', 'safe-wasmtime', ...(forTests ? ['-p', 'safe-wan-link', '--all-targets'] : [])]);
if (!forTests) cargo(['build', '--profile', 'native', '--locked', '-p', 'safe-wan-link']);
mkdirSync(join(root, 'target', 'release'), { recursive: true });
for (const bin of ['safe-node', 'safe-wasmtime', 'safe-wan-link']) copyIfChanged(join(root, 'target', 'native', bin), join(root, 'target', 'release', bin));

/**
 * Copies `from` over `to` unless `to` is already as new (a running node keeps its old inode).
 * @param {string} from
 * @param {string} to
 */
function copyIfChanged(from, to) {
  if (mtime(from) <= mtime(to)) return;
  rmSync(to, { force: true });
  copyFileSync(from, to);
}

// 5. The host.
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);

// 6. The browser bundle: the same host code and the component's core modules -> dist/browser/.
execFileSync(process.execPath, [join(root, 'scripts', 'build-browser.mjs')], { stdio: 'inherit', cwd: root });

log('done');

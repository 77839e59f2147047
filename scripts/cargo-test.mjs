// Runs the Rust tests: every crate natively, then the crates that go into the component (the
// data model and the sans-IO client) compiled to wasm32-wasip1 and run under node:wasi. Run it
// after `node scripts/build.mjs --tests`, as `npm test` does.
import { join } from 'node:path';

import { WASM_TARGET, cargo, root, toolchain } from './toolchain.mjs';

// The library crates in the dev profile (debug assertions on).
cargo(['test', '--locked', '--workspace', '--exclude', 'safe-component', '--exclude', 'safe-node', '--exclude', 'safe-wasmtime', '--exclude', 'safe-wan-link']);
// The native binaries' crates in the profile and invocation `node scripts/build.mjs --tests`
// built them and their tests in (a debug build of wasmtime and cranelift would cost CI minutes),
// so this only runs them; safe-wasmtime's integration tests run the built node and component.
cargo(['test', '--locked', '--profile', 'native', '-p', 'safe-node', '-p', 'safe-wasmtime', '-p', 'safe-wan-link'], {
  SAFE_WASMTIME_CACHE: join(root, 'target', 'wasmtime-cache'),
});
// In the profile of the fault-injection build (Cargo.toml), so they share std and dependencies.
// Node runs them with --single-threaded (no background compile or GC threads), which made a
// crash of node at exit (SIGSEGV, after a test binary had passed) rarer but did not end it;
// scripts/wasi-run.mjs explains what did.
cargo(['test', '--locked', '--profile', 'wasm-test', '-p', 'safe-types', '-p', 'safe-client', '--target', WASM_TARGET, ...toolchain.testStd], {
  CARGO_TARGET_WASM32_WASIP1_RUNNER: `node --no-warnings --single-threaded ${join(root, 'scripts', 'wasi-run.mjs')}`,
});

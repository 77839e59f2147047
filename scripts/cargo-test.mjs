// Runs the Rust tests: every crate natively, then the crates that go into the component (the
// data model and the sans-IO client) compiled to wasm32-wasip1 and run under node:wasi.
import { join } from 'node:path';

import { WASM_TARGET, cargo, root, toolchain } from './toolchain.mjs';

// safe-wasmtime is tested through its binary (tests/hosts.e2e.test.ts): a debug build of
// wasmtime and cranelift for unit tests it does not have would cost CI minutes.
cargo(['test', '--locked', '--workspace', '--exclude', 'safe-component', '--exclude', 'safe-wasmtime']);
cargo(['test', '--locked', '-p', 'safe-types', '-p', 'safe-client', '--target', WASM_TARGET, ...toolchain.testStd], {
  CARGO_TARGET_WASM32_WASIP1_RUNNER: `node --no-warnings ${join(root, 'scripts', 'wasi-run.mjs')}`,
});

// Runs the Rust tests: every crate natively, then the crates that go into the component (the
// data model and the sans-IO client) compiled to wasm32-wasip1 and run under node:wasi.
import { join } from 'node:path';

import { WASM_TARGET, cargo, root, toolchain } from './toolchain.mjs';

cargo(['test', '--locked', '--workspace', '--exclude', 'safe-component']);
cargo(['test', '--locked', '-p', 'safe-types', '-p', 'safe-client', '--target', WASM_TARGET, ...toolchain.testStd], {
  CARGO_TARGET_WASM32_WASIP1_RUNNER: `node --no-warnings ${join(root, 'scripts', 'wasi-run.mjs')}`,
});

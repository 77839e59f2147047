#!/usr/bin/env node
// Runs a wasm32-wasip1 program under node:wasi: cargo's runner for the crates' tests compiled
// to wasm (CARGO_TARGET_WASM32_WASIP1_RUNNER), so the wasm build is tested, not assumed.
// The program gets its arguments, no environment beyond RUST_BACKTRACE, and no directories.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [program, ...args] = process.argv.slice(2);
if (!program) {
  console.error('usage: wasi-run.mjs <program.wasm> [args...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [program, ...args],
  env: process.env.RUST_BACKTRACE ? { RUST_BACKTRACE: process.env.RUST_BACKTRACE } : {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// Exit at once with the program's code: nothing else runs in this process, and not tearing down
// the instance's memory first avoids a rare crash of node at exit seen after large test runs.
process.exit(wasi.start(instance));

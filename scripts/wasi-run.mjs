#!/usr/bin/env node
// Runs a wasm32-wasip1 program under node:wasi: cargo's runner for the crates' tests compiled
// to wasm (CARGO_TARGET_WASM32_WASIP1_RUNNER), so the wasm build is tested, not assumed.
// The program gets its arguments, no environment beyond RUST_BACKTRACE, and no directories.
//
// node 20 crashed (SIGSEGV) at the end of some test binaries, after every test had passed,
// while node:wasi unwound the program's proc_exit through the wasm frames (`returnOnExit`);
// so proc_exit ends the process at once instead. To be safe from a crash in node's own exit,
// the program runs in a child process that reports its exit code on a pipe when main returns,
// and the code reported (or the one the child exits with) is what counts; a child killed by a
// signal before reporting fails the run.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const CHILD = 'SAFE_WASI_RUN_CHILD';
const [program, ...args] = process.argv.slice(2);
if (!program) {
  console.error('usage: wasi-run.mjs <program.wasm> [args...]');
  process.exit(2);
}

if (process.env[CHILD] === undefined) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), program, ...args], {
    env: { ...process.env, [CHILD]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  });
  let report = '';
  child.stdio[3]?.on('data', (data) => (report += String(data)));
  child.on('close', (code, signal) => {
    const reported = /^(\d+)\n$/.exec(report);
    if (reported) process.exit(Number(reported[1]));
    // No report: the program called proc_exit (node's WASI then ends the process with its code
    // at once, without running any JS), or node died.
    if (code !== null) process.exit(code);
    console.error(`wasi-run: ${program}: node ended with ${signal} before the program finished`);
    process.exit(1);
  });
} else {
  const wasi = new WASI({
    version: 'preview1',
    args: [program, ...args],
    env: process.env.RUST_BACKTRACE ? { RUST_BACKTRACE: process.env.RUST_BACKTRACE } : {},
    // The program's proc_exit ends this process at once (node exits from inside the call),
    // rather than unwinding through the wasm frames back to `start`: the unwinding is where
    // node crashed.
    returnOnExit: false,
  });
  const module = await WebAssembly.compile(await readFile(program));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  wasi.start(instance);
  // Main returned 0 (a program that fails calls proc_exit, which never returns here).
  writeSync(3, '0\n');
  process.exit(0);
}

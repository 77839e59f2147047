#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, runs the lints (seconds
# once warm, so CI fails fast), builds what changed, then runs every test: the Rust crates
# natively, the component's crates compiled to wasm under node:wasi, and the TypeScript suites
# (unit, and end to end against real nodes on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/lint-rust.mjs  # cargo fmt --check, module cycles, clippy -D warnings
node scripts/lint-ts.mjs    # tsc --noEmit over host/, tests/, scripts/, bench/ (tsconfig.check.json)
node scripts/build.mjs --tests
node scripts/cargo-test.mjs
node node_modules/vitest/vitest.mjs run

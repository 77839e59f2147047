#!/usr/bin/env bash
# The project's test command (`npm test`): installs what is missing, runs the lints (seconds
# once warm, so CI fails fast), builds what changed, then runs every test: the Rust crates
# natively, the component's crates compiled to wasm under node:wasi, and the TypeScript suites
# (unit, and end to end against real nodes on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step prints its time on stderr, so a slow CI run says where the minutes went.
step() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  echo "[test] $name: $((SECONDS - started)) s (total $SECONDS s)" >&2
}
step setup bash scripts/setup.sh
step lint-rust node scripts/lint-rust.mjs  # cargo fmt --check, module cycles, clippy -D warnings
step lint-ts node scripts/lint-ts.mjs      # tsc --noEmit over host/, tests/, scripts/, bench/ (tsconfig.check.json)
step build node scripts/build.mjs --tests
step cargo-test node scripts/cargo-test.mjs
step vitest node node_modules/vitest/vitest.mjs run

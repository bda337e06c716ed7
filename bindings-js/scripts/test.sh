#!/usr/bin/env bash
# `make test-js`: build the package, install the pinned dev tools, build the
# vault server the client tests run against, run the node tests (vectors,
# round trips, errors, TOTP differential, the vault Client against a real
# sealvault-server, examples, README blocks, npm pack into scratch ESM/CJS
# projects, tsc) and the headless-Chromium tests (required when
# SEALVAULT_TEST_BROWSER=required; the server is required then and in CI).
# Honours CARGO_TARGET_DIR, SEALVAULT_SERVER_BIN and npm_config_cache.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"
npm ci --no-audit --no-fund
./build.sh
if [ -z "${SEALVAULT_SERVER_BIN:-}" ]; then
  (cd "$root" && "${CARGO:-cargo}" build -q -p sealvault-server)
  export SEALVAULT_SERVER_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/sealvault-server"
fi
if [ -z "${SEALVAULT_INTEROP:-}" ]; then
  (cd "$root" && "${CARGO:-cargo}" build -q -p sealvault --example interop --features hazmat)
  export SEALVAULT_INTEROP="${CARGO_TARGET_DIR:-$root/target}/debug/examples/interop"
fi
node --test --test-concurrency=1 tests/

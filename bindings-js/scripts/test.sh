#!/usr/bin/env bash
# `make test-js`: build the package, install the pinned dev tools, run the
# node tests (vectors, round trips, errors, TOTP differential, example,
# npm pack into scratch ESM/CJS projects, tsc) and the headless-Chromium
# test (required when SEALVAULT_TEST_BROWSER=required).
# Honours CARGO_TARGET_DIR and npm_config_cache.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
npm ci --no-audit --no-fund
./build.sh
node --test --test-concurrency=1 tests/

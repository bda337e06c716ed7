# SealVault: the two commands of README.md.
#   make demo   - the main flow on the embedded default
#   make test   - every test in every language present
CARGO ?= cargo
VENV ?= .venv

.PHONY: demo test fmt-check test-rust check-vectors wycheproof-counts wasm

demo:
	$(CARGO) run --release -p sealvault-examples --bin quickstart

test: fmt-check test-rust wycheproof-counts wasm test-independent test-js test-python

fmt-check:
	$(CARGO) fmt --all -- --check

# The `aws-kms` tests talk to moto's KMS-compatible server, pinned here and
# started by the tests themselves (server/tests/hsm_kms.rs); SoftHSM2 comes
# from the system (.ci/run installs Debian's softhsm2).
MOTO ?= moto[server]==5.2.1

test-rust: check-vectors
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	test -x $(VENV)/bin/moto_server || $(VENV)/bin/pip install -q '$(MOTO)'
	SEALVAULT_MOTO_SERVER=$(abspath $(VENV))/bin/moto_server $(CARGO) test --workspace --all-features

# The TOTP vectors come from an independent Python generator; the envelope
# vectors' drift check is a Rust test (core/tests/vectors.rs).
check-vectors:
	python3 testdata/gen/totp_vectors.py --check

# Prints the Wycheproof counts (pass / rejected / 0 failures).
wycheproof-counts:
	$(CARGO) test -q -p sealvault --test wycheproof -- --nocapture --test-threads=1 2>&1 | grep -oE 'wycheproof [A-Z].*|test result.*'

# The core and its fetch-based client compile for browsers and Node.
wasm:
	$(CARGO) build -p sealvault --features client --target wasm32-unknown-unknown

# Independent Python implementation of docs/FORMAT.md, checked against the
# vectors and, both ways, against the Rust core via core/examples/interop.rs.
INDEP_TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: test-independent
test-independent:
	CARGO_TARGET_DIR=$(INDEP_TARGET_DIR) $(CARGO) build -q -p sealvault --example interop --features hazmat
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tests/independent/requirements.txt
	SEALVAULT_INTEROP_BIN=$(INDEP_TARGET_DIR)/debug/examples/interop $(VENV)/bin/python -m pytest -q tests/independent

# Python package (bindings-python/): builds the abi3 wheel with maturin,
# installs it into a fresh venv with the pinned test deps, and runs pytest
# (shared vectors, Rust interop, hypothesis, pyotp, mypy.stubtest, mypy,
# sv.Client against a real sealvault-server on an ephemeral port, and the
# end-to-end browser agents of examples/e2e — after test-js, whose npm
# package the JS agent imports) from a scratch
# directory so `import sealvault` is the installed wheel, not python/.
# PY_PROFILE=--release for an optimised wheel (the bench needs one).
PY_PROFILE ?=
.PHONY: test-python bench-python
test-python:
	test -x $(VENV)/bin/maturin || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q maturin==1.16.0; }
	$(CARGO) build -q -p sealvault --example interop --features hazmat
	$(CARGO) build -q -p sealvault-server -p sealvault-demo-site
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	target=$$($(CARGO) metadata -q --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'); \
	$(VENV)/bin/maturin build $(PY_PROFILE) -q -m bindings-python/Cargo.toml -o "$$scratch/wheels"; \
	python3 -m venv "$$scratch/venv"; \
	"$$scratch/venv/bin/pip" install -q "$$scratch"/wheels/sealvault-*.whl -r bindings-python/requirements-test.txt; \
	pg="$${SEALVAULT_TEST_DATABASE_URL:-$$(scripts/throwaway-postgres.sh $$$$ || true)}"; \
	cd "$$scratch" && SEALVAULT_EXPECT_INSTALLED=1 SEALVAULT_TESTDATA="$(CURDIR)/testdata" \
		SEALVAULT_INTEROP="$$target/debug/examples/interop" \
		SEALVAULT_SERVER_BIN="$$target/debug/sealvault-server" SEALVAULT_TEST_DATABASE_URL="$$pg" \
		DEMO_SITE_BIN="$$target/debug/demo-site" \
		"$$scratch/venv/bin/python" -m pytest -p no:cacheprovider "$(CURDIR)/bindings-python/tests" "$(CURDIR)/examples/e2e"

# The Python comparison bench (release wheel; results go in benches/README.md by hand).
bench-python:
	test -x $(VENV)/bin/maturin || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q maturin==1.16.0; }
	set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	$(VENV)/bin/maturin build --release -q -m bindings-python/Cargo.toml -o "$$scratch/wheels"; \
	python3 -m venv "$$scratch/venv"; \
	"$$scratch/venv/bin/pip" install -q "$$scratch"/wheels/sealvault-*.whl -r benches/python/requirements.txt; \
	"$$scratch/venv/bin/python" benches/python/bench.py

# npm package `sealvault` (bindings-js/): builds the wasm with the
# wasm-release profile and the pinned wasm-bindgen CLI (build.sh), `npm ci`
# of the pinned dev tools, then node --test: shared vectors, round trips,
# bit flips, errors, TOTP vs otpauth, examples/js, npm pack into scratch
# ESM/CJS projects, tsc --noEmit, and headless Chromium (skipped with a
# reason when /usr/bin/chromium is missing, unless
# SEALVAULT_TEST_BROWSER=required). Honours CARGO_TARGET_DIR, npm_config_cache.
.PHONY: test-js
test-js:
	SEALVAULT_PYTHON="$${SEALVAULT_PYTHON:-$(abspath $(VENV))/bin/python}" bindings-js/scripts/test.sh

# The browser-agent stack of README.md: builds the server, the demo site, the
# Python package (into $(VENV), with Playwright) and the npm package, then
# runs a vault and the demo site with four provisioned accounts until Ctrl-C.
# In another terminal: $(VENV)/bin/python examples/python/agent.py --account totp
#                      node examples/js/agent.mjs --account email
.PHONY: demo-stack
demo-stack:
	$(CARGO) build -q -p sealvault-server -p sealvault-demo-site
	test -x $(VENV)/bin/maturin || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q maturin==1.16.0; }
	set -e; wheels=$$(mktemp -d); trap 'rm -rf "$$wheels"' EXIT; \
	$(VENV)/bin/maturin build -q -m bindings-python/Cargo.toml -o "$$wheels"; \
	$(VENV)/bin/pip install -q --force-reinstall --no-deps "$$wheels"/sealvault-*.whl
	$(VENV)/bin/pip install -q playwright==1.65.2
	test -f bindings-js/pkg/index.mjs || bindings-js/build.sh
	test -d bindings-js/node_modules/playwright-core || (cd bindings-js && npm ci --no-audit --no-fund)
	target=$$($(CARGO) metadata -q --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'); \
	SEALVAULT_SERVER_BIN="$$target/debug/sealvault-server" DEMO_SITE_BIN="$$target/debug/demo-site" \
		$(VENV)/bin/python examples/e2e/stack.py up

# Server load bench (benches/src/bin/vault_load.rs): a release server on a
# temp SQLite file, 32 clients; results go in benches/README.md by hand.
# Not part of `make test`. BENCH_SERVER_ARGS e.g. "--secs 5 --clients 16".
BENCH_SERVER_ARGS ?=
.PHONY: bench-server
bench-server:
	$(CARGO) build --release -q -p sealvault-server -p sealvault-benches --bin sealvault-server --bin vault_load
	target=$$($(CARGO) metadata -q --no-deps --format-version 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'); \
	"$$target/release/vault_load" --server-bin "$$target/release/sealvault-server" $(BENCH_SERVER_ARGS)

# SealVault: the two commands of README.md.
#   make demo   - the main flow on the embedded default
#   make test   - every test in every language present
CARGO ?= cargo
VENV ?= .venv

.PHONY: demo test fmt-check test-rust wycheproof-counts wasm

demo:
	$(CARGO) run --release -p sealvault --example seal-open

test: fmt-check test-rust wycheproof-counts wasm

fmt-check:
	$(CARGO) fmt --all -- --check

test-rust:
	$(CARGO) test --workspace --all-features

# Prints the Wycheproof counts (pass / rejected / 0 failures).
wycheproof-counts:
	$(CARGO) test -q -p sealvault --test wycheproof -- --nocapture 2>&1 | grep -E '^wycheproof|test result'

wasm:
	$(CARGO) build -p sealvault --target wasm32-unknown-unknown

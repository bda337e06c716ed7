# SealVault: the two commands of README.md.
#   make demo   - the main flow on the embedded default
#   make test   - every test in every language present
CARGO ?= cargo

.PHONY: demo test test-rust check-vectors wasm fmt-check

demo:
	$(CARGO) run --release -p sealvault --example seal-open

test: fmt-check test-rust wasm

fmt-check:
	$(CARGO) fmt --all -- --check

test-rust:
	$(CARGO) test --workspace --all-features

wasm:
	$(CARGO) build -p sealvault --target wasm32-unknown-unknown

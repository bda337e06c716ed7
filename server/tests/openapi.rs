//! `docs/openapi.json` must be what the handlers generate.
//! Regenerate with `SEALVAULT_UPDATE_OPENAPI=1 cargo test -p sealvault-server --test openapi`.

#![allow(clippy::unwrap_used, missing_docs)]

#[test]
fn committed_openapi_matches_the_handlers() {
    let generated = sealvault_server::api::openapi::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    if std::env::var_os("SEALVAULT_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json drifted from the handlers: run SEALVAULT_UPDATE_OPENAPI=1 cargo test -p sealvault-server --test openapi"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/v1/credentials/{id}",
        "/v1/credentials/{id}/access",
        "/v1/keys/rotate",
        "/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

//! Runs `testdata/envelope-v1.json` (the vectors every SDK runs) and fails
//! when the committed file drifts from the generator.
//!
//! Regenerate with `cargo run -p sealvault --example gen-vectors --features hazmat`.

use std::path::PathBuf;

use sealvault::hazmat::seal_deterministic;
use sealvault::{
    Context, DataKey, EnvelopeKey, envelope_key, open, open_with_envelope_key, state_key,
};
use serde_json::Value;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/envelope-v1.json")
}

fn load() -> Value {
    let text =
        std::fs::read_to_string(vectors_path()).expect("testdata/envelope-v1.json is readable");
    serde_json::from_str(&text).expect("vectors are JSON")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn key(v: &Value) -> DataKey {
    DataKey::from_bytes(&unhex(&v["key_id"]), &unhex(&v["key"])).expect("vector key")
}

fn context(v: &Value) -> Context {
    serde_json::from_value(v.clone()).expect("vector context")
}

fn outcome(result: sealvault::Result<sealvault::Zeroizing<Vec<u8>>>) -> (String, Option<Vec<u8>>) {
    match result {
        Ok(pt) => ("ok".into(), Some(pt.to_vec())),
        Err(e) => (e.code().into(), None),
    }
}

#[test]
fn committed_vectors_match_the_generator() {
    let generated = sealvault::hazmat::vectors::generate().expect("generator runs");
    let mut text = serde_json::to_string_pretty(&generated).expect("serializes");
    text.push('\n');
    let committed = std::fs::read_to_string(vectors_path()).expect("readable");
    assert!(
        committed == text,
        "testdata/envelope-v1.json differs from the generator: \
         run `cargo run -p sealvault --example gen-vectors --features hazmat` and review the diff"
    );
}

#[test]
fn every_envelope_case_has_its_outcome() {
    let vectors = load();
    let cases = vectors["cases"].as_array().expect("cases");
    let (mut ok, mut failures) = (0, 0);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let envelope = unhex(&case["envelope"]);
        let expected = context(&case["expected_context"]);
        let (code, plaintext) = match case["open_with"].as_str() {
            Some("data_key") => outcome(open(&key(&case["key"]), &envelope, &expected)),
            Some("envelope_key") => {
                let ek = EnvelopeKey::from_bytes(&unhex(&case["envelope_key"])).expect("ek");
                outcome(open_with_envelope_key(&ek, &envelope, &expected))
            }
            other => panic!("{name}: unknown open_with {other:?}"),
        };
        assert_eq!(
            code,
            case["expect"].as_str().expect("expect"),
            "case {name}"
        );
        if code == "ok" {
            assert_eq!(
                plaintext,
                Some(unhex(&case["plaintext"])),
                "case {name}: plaintext"
            );
            ok += 1;
        } else {
            failures += 1;
        }
    }
    println!("envelope vectors: {ok} open, {failures} rejected with their codes");
    assert!(ok >= 8 && failures >= 30, "vector file lost cases");
}

#[test]
fn ok_cases_reseal_to_the_exact_bytes_and_envelope_key() {
    let vectors = load();
    for case in vectors["cases"].as_array().expect("cases") {
        let Some(seal) = case.get("seal") else {
            continue;
        };
        let name = case["name"].as_str().expect("name");
        let dk = key(&case["key"]);
        let salt: [u8; 32] = unhex(&seal["salt"]).try_into().expect("salt");
        let nonce: [u8; 12] = unhex(&seal["nonce"]).try_into().expect("nonce");
        let env = seal_deterministic(
            &dk,
            &unhex(&seal["plaintext"]),
            &context(&seal["context"]),
            &salt,
            &nonce,
        )
        .expect("seals");
        assert_eq!(
            hex::encode(&env),
            case["envelope"].as_str().expect("envelope"),
            "case {name}"
        );
        let ek = envelope_key(&dk, &env).expect("envelope key");
        assert_eq!(
            hex::encode(ek.expose_secret()),
            case["envelope_key"].as_str().expect("ek"),
            "case {name}"
        );
    }
}

#[test]
fn context_encodings() {
    for case in load()["contexts"].as_array().expect("contexts") {
        let ctx = context(&case["context"]);
        let encoded = unhex(&case["encoded"]);
        assert_eq!(ctx.encode().expect("encodes"), encoded);
        assert_eq!(Context::decode(&encoded).expect("decodes"), ctx);
    }
}

#[test]
fn state_keys() {
    for case in load()["state_keys"].as_array().expect("state_keys") {
        let sk = state_key(
            &key(&case["key"]),
            case["user"].as_str().expect("user"),
            case["item"].as_str().expect("item"),
        )
        .expect("derives");
        assert_eq!(
            hex::encode(sk.expose_secret()),
            case["state_key"].as_str().expect("state_key")
        );
        assert_eq!(
            sk.key_id().to_hex(),
            case["state_key_id"].as_str().expect("id")
        );
    }
}

#[test]
fn config_hashes() {
    for case in load()["config_hashes"].as_array().expect("config_hashes") {
        let config: Value =
            serde_json::from_str(case["config_json"].as_str().expect("json")).expect("parses");
        assert_eq!(
            sealvault::item::canonical_json(&config).expect("jcs"),
            case["canonical"].as_str().expect("canonical")
        );
        assert_eq!(
            sealvault::config_hash(&config).expect("hash"),
            case["sha256"].as_str().expect("sha")
        );
    }
}

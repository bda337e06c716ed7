//! Wire types: the error table of DESIGN §9, the error body shape, and
//! credential-config validation (DESIGN §7).

use sealvault::Error;
use sealvault::wire::{CredentialConfig, ErrorBody, ErrorCode, TfaMethod};
use serde_json::json;

#[test]
fn every_code_has_the_status_of_the_design_table() {
    let table: &[(u16, &[&str])] = &[
        (400, &["invalid_request", "invalid_config"]),
        (401, &["unauthorized"]),
        (403, &["forbidden"]),
        (404, &["not_found"]),
        (
            409,
            &[
                "version_conflict",
                "salt_reuse",
                "data_key_exists",
                "no_number_available",
                "ambiguous_recipient",
                "stale_data_key",
                "concurrency_limit",
                "lease_required",
                "stale_fencing_token",
            ],
        ),
        (408, &["request_timeout"]),
        (413, &["payload_too_large"]),
        (
            422,
            &[
                "malformed_envelope",
                "unsupported_version",
                "wrong_key",
                "commitment_mismatch",
                "integrity",
                "context_mismatch",
                "invalid_totp",
            ],
        ),
        (423, &["login_in_progress"]),
        (429, &["rate_limited"]),
        (500, &["internal"]),
        (503, &["master_key_unavailable", "proxy_unavailable"]),
    ];
    let mut seen = 0;
    for (status, codes) in table {
        for code in *codes {
            let parsed = ErrorCode::parse(code).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(parsed.status(), *status, "{code}");
            assert_eq!(parsed.as_str(), *code);
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        ErrorCode::ALL.len(),
        "table and enum list the same codes"
    );
}

#[test]
fn core_errors_map_to_table_codes() {
    let errors = [
        Error::MalformedEnvelope("x"),
        Error::UnsupportedVersion {
            version: 2,
            suite: 1,
        },
        Error::CommitmentMismatch,
        Error::Integrity,
        Error::ContextMismatch { key: "k".into() },
        Error::InvalidContext("x"),
        Error::InvalidKey("x"),
        Error::InvalidConfig("x".into()),
        Error::InvalidTotp("x".into()),
    ];
    for e in &errors {
        let code = ErrorCode::from(e);
        assert_eq!(code.as_str(), e.code());
        assert_ne!(code, ErrorCode::Internal);
    }
}

#[test]
fn error_body_shape() {
    let body = ErrorBody::from(&Error::Integrity);
    let value = serde_json::to_value(&body).expect("serializes");
    assert_eq!(
        value,
        json!({"error": {"code": "integrity", "message": "integrity check failed"}})
    );
    let back: ErrorBody = serde_json::from_value(json!({
        "error": {"code": "stale_data_key", "message": "m", "current_key_id": "00112233445566778899aabbccddeeff", "future": 1}
    }))
    .expect("fields may be added");
    assert_eq!(
        back.error.current_key_id.map(|k| k.to_hex()).as_deref(),
        Some("00112233445566778899aabbccddeeff")
    );
}

#[test]
fn the_design_example_config_is_valid() {
    let config = json!({
        "name": "acme-portal",
        "login_url": "https://portal.acme.test/login",
        "tfa": {"method": "AUTHENTICATOR", "sender_filter": "no-reply@acme.test", "code_pattern": "(\\d{6})"},
        "session_persistence": {"cookies": true, "local_storage": true, "session_storage": false},
        "concurrency": {"allow_multiple": true, "max_concurrent": 3, "prevent_concurrency_during_login": true},
        "expiration": {"from_last_use_secs": 3600, "from_creation_secs": 86400},
        "proxy": {"enabled": true, "target_ip": "203.0.113.7"}
    });
    let parsed = CredentialConfig::from_value(&config).expect("valid");
    assert_eq!(
        parsed.tfa.as_ref().map(|t| t.method),
        Some(TfaMethod::Authenticator)
    );
    assert_eq!(parsed.concurrency.and_then(|c| c.limit()), Some(3));
    assert_eq!(
        parsed.login_origin().as_deref(),
        Some("https://portal.acme.test")
    );
    let minimal =
        CredentialConfig::from_value(&json!({"name": "x"})).expect("only name is required");
    assert!(minimal.persistence().cookies && !minimal.persistence().session_storage);
}

#[test]
fn invalid_configs_are_refused_with_invalid_config() {
    let bad = [
        json!({}),
        json!("acme"),
        json!({"name": ""}),
        json!({"name": "x", "colour": "red"}),
        json!({"name": "x", "tfa": {"method": "PIGEON"}}),
        json!({"name": "x", "tfa": {"method": "SMS", "extra": 1}}),
        json!({"name": "x", "login_url": "not a url"}),
        json!({"name": "x", "login_url": "ftp://acme.test/"}),
        json!({"name": "x", "concurrency": {"max_concurrent": 0}}),
        json!({"name": "x", "expiration": {"from_last_use_secs": 0}}),
        json!({"name": "x", "proxy": {"enabled": true, "target_ip": "999.1.1.1"}}),
    ];
    for config in bad {
        let err = CredentialConfig::from_value(&config).expect_err(&config.to_string());
        assert_eq!(err.code(), "invalid_config", "{config}");
    }
}

#[test]
fn allow_multiple_false_means_one_lease() {
    let c = CredentialConfig::from_value(
        &json!({"name": "x", "concurrency": {"allow_multiple": false, "max_concurrent": 5}}),
    )
    .expect("valid");
    assert_eq!(c.concurrency.and_then(|c| c.limit()), Some(1));
}

#[test]
fn config_hash_requires_an_i_json_object() {
    assert!(sealvault::config_hash(&json!({"big": 9007199254740992u64})).is_ok());
    for bad in [
        json!({"big": 9007199254740993u64}),
        json!({"neg": -9007199254740993i64}),
        json!([1]),
        json!(null),
    ] {
        assert_eq!(
            sealvault::config_hash(&bad)
                .expect_err(&bad.to_string())
                .code(),
            "invalid_config"
        );
    }
}

#[test]
fn a_config_parses_from_its_exact_text() {
    let text = "{ \"concurrency\" : {\"max_concurrent\":2},\n \"name\": \"caf\\u00e9\" }";
    let (config, value) = CredentialConfig::from_json(text).expect("valid");
    assert_eq!(config.name, "café");
    assert_eq!(
        value,
        json!({"name": "café", "concurrency": {"max_concurrent": 2}})
    );
    for bad in [
        "[1]",
        "\"acme\"",
        "{}",
        "{\"name\": \"x\", \"colour\": \"red\"}",
        "{\"name\": \"x\", \"concurrency\": {\"max_concurrent\": 1e3}}",
        "{\"name\": \"x\", \"name\": \"y\"}",
        "{\"name\": \"x\", \"tfa\": {\"method\": \"SMS\", \"method\": \"EMAIL\"}}",
        "{\"name\": \"x\"",
    ] {
        let err = CredentialConfig::from_json(bad).expect_err(bad);
        assert_eq!(err.code(), "invalid_config", "{bad}");
    }
}

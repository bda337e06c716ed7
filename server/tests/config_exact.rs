//! Credential configs are stored and returned byte for byte (DESIGN §6):
//! the PUT body is a hand-built string and every answer carrying the config
//! (GET, list, the lease grant, `/access`) is read as text, never through a
//! `serde_json::Value`, which would sort keys, drop whitespace and decode
//! escapes.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::HashMap;

use common::{ALL_SCOPES, Server, b64, seal_cred};
use reqwest::{Method, StatusCode};
use sealvault::{EnvelopeKey, ItemInfo, open_with_envelope_key};
use serde_json::Value;
use serde_json::value::RawValue;

/// A valid config (only keys the validator accepts) in a form no
/// serialiser would produce: keys out of order, tabs, CRLF and runs of
/// spaces, `\u` escapes (a surrogate pair too) and an escaped solidus.
const CONFIG: &str = "{\r\n\t\"session_persistence\" : { \"session_storage\": true,\"cookies\":false } ,\n  \"concurrency\":{\"max_concurrent\":   3, \"allow_multiple\":true},\n\"name\"  :\t\"caf\\u00e9 \\ud83d\\ude00 \\\"acme\\\"\",\n  \"login_url\" : \"https:\\/\\/portal.acme.test\\/login\",\n  \"expiration\": {\"from_last_use_secs\": 3600 }\n}";

/// Another text for the second version.
const CONFIG_2: &str = "{ \"name\" : \"\\u0041cme\" ,\"tfa\":{\"method\":\"NONE\"}\n}";

/// The PUT body, built by hand around the config text.
fn put_text(envelope: &[u8], config: &str, expected_version: u64) -> String {
    format!(
        "{{\"envelope\":\"{}\",\"config\":{config},\"expected_version\":{expected_version}}}",
        b64(envelope)
    )
}

/// `PUT /v1/credentials/acme` with the body built around the config text.
async fn put_acme(
    s: &Server,
    token: &str,
    envelope: &[u8],
    config: &str,
    expected_version: u64,
) -> (StatusCode, String) {
    let body = put_text(envelope, config, expected_version);
    s.call_text(
        Method::PUT,
        "/v1/credentials/acme",
        Some(token),
        &[],
        Some(body),
    )
    .await
}

/// The raw text of the top-level `config` member of an answer object.
fn config_text(body: &str) -> String {
    let members: HashMap<String, Box<RawValue>> = serde_json::from_str(body).unwrap();
    members.get("config").expect(body).get().to_owned()
}

/// The config text exactly as sent: the member and its bytes.
fn assert_exact(body: &str, sent: &str) {
    assert_eq!(config_text(body), sent, "{body}");
    assert!(body.contains(&format!("\"config\":{sent}")), "{body}");
}

/// A string member of an answer object.
fn member(body: &str, key: &str) -> String {
    let members: HashMap<String, Box<RawValue>> = serde_json::from_str(body).unwrap();
    serde_json::from_str(members.get(key).expect(body).get()).unwrap()
}

both_dbs!(configs_are_returned_byte_exact, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    // Sealed over the canonical form of the parsed config, as the SDK does.
    let parsed: Value = serde_json::from_str(CONFIG).unwrap();
    assert_ne!(parsed.to_string(), CONFIG, "a re-serialisation would show");
    let env = seal_cred(&dk, &user, "acme", 1, &parsed, "hunter2");
    let (status, put) = put_acme(&s, &token, &env, CONFIG, 0).await;
    assert_eq!(status, StatusCode::CREATED, "{put}");

    let (status, got) = s
        .call_text(Method::GET, "/v1/credentials/acme", Some(&token), &[], None)
        .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_exact(&got, CONFIG);

    let (status, list) = s
        .call_text(Method::GET, "/v1/credentials", Some(&token), &[], None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items: HashMap<String, Vec<Box<RawValue>>> = serde_json::from_str(&list).unwrap();
    assert_eq!(items["items"].len(), 1, "{list}");
    assert_exact(items["items"][0].get(), CONFIG);

    let (status, grant) = s
        .call_text(
            Method::POST,
            "/v1/credentials/acme/sessions",
            Some(&token),
            &[],
            Some(r#"{"purpose":"login","ttl_secs":60}"#.to_owned()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_exact(&grant, CONFIG);
    let lease_token = member(&grant, "lease_token");

    let (status, access) = s
        .call_text(
            Method::POST,
            "/v1/credentials/acme/access",
            Some(&token),
            &[("x-lease-token", &lease_token)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{access}");
    assert_exact(&access, CONFIG);
    // The returned text still opens the envelope: its parse hashes to `sv:config`.
    let returned: Value = serde_json::from_str(&config_text(&access)).unwrap();
    let ek = EnvelopeKey::from_api(&member(&access, "envelope_key")).unwrap();
    let envelope = sealvault::encoding::b64_decode(&member(&access, "envelope")).unwrap();
    let info = ItemInfo::credential(&user, "acme", 1, &returned);
    let plain = open_with_envelope_key(&ek, &envelope, &info.context().unwrap()).unwrap();
    assert!(String::from_utf8_lossy(&plain).contains("hunter2"));

    // The stored config is the one the vault enforces: max_concurrent 3.
    for _ in 0..2 {
        let (status, more) = s
            .call_text(
                Method::POST,
                "/v1/credentials/acme/sessions",
                Some(&token),
                &[],
                Some(r#"{"purpose":"use"}"#.to_owned()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{more}");
        assert_exact(&more, CONFIG);
    }
    let (status, full) = s
        .call_text(
            Method::POST,
            "/v1/credentials/acme/sessions",
            Some(&token),
            &[],
            Some(r#"{"purpose":"use"}"#.to_owned()),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{full}");

    // A new version replaces the text, again byte for byte.
    let parsed_2: Value = serde_json::from_str(CONFIG_2).unwrap();
    let env_2 = seal_cred(&dk, &user, "acme", 2, &parsed_2, "hunter3");
    let (status, put) = put_acme(&s, &token, &env_2, CONFIG_2, 1).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let (_, got) = s
        .call_text(Method::GET, "/v1/credentials/acme", Some(&token), &[], None)
        .await;
    assert_exact(&got, CONFIG_2);
});

both_dbs!(
    unparsable_or_ambiguous_configs_are_refused,
    |s: Server| async move {
        let (user, token) = s.user_with(ALL_SCOPES, None).await;
        let dk = s.data_key(&token).await;
        let put = |config: &'static str| {
            let (s, token, user, dk) = (&s, token.clone(), user.clone(), &dk);
            async move {
                // Sealed over the parsed text when it is an object (the config
                // is refused before the seal is checked either way).
                let parsed: Value = serde_json::from_str(config)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or_else(|| serde_json::json!({"name": "x"}));
                let env = seal_cred(dk, &user, "acme", 1, &parsed, "p");
                let (status, body) = put_acme(s, &token, &env, config, 0).await;
                let body: Value = serde_json::from_str(&body).unwrap();
                (
                    status.as_u16(),
                    body["error"]["code"].as_str().unwrap_or("").to_owned(),
                )
            }
        };
        for config in [
            // Not an object, as before.
            "[1]",
            "\"acme\"",
            "null",
            // Every numeric field is an integer: a float is refused, as before.
            "{\"name\":\"x\",\"concurrency\":{\"max_concurrent\":1e3}}",
            "{\"name\":\"x\",\"expiration\":{\"from_last_use_secs\":1.50}}",
            // A repeated key means different things to different readers.
            "{\"name\":\"x\",\"name\":\"y\"}",
            "{\"name\":\"x\",\"concurrency\":{\"max_concurrent\":1,\"max_concurrent\":9}}",
            // Unknown keys, as before.
            "{\"name\":\"x\",\"colour\":\"red\"}",
        ] {
            assert_eq!(
                put(config).await,
                (400, "invalid_config".into()),
                "{config}"
            );
        }
        let (status, _) = s
            .call_text(Method::GET, "/v1/credentials/acme", Some(&token), &[], None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored");
    }
);

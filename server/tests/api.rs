//! End-to-end API tests: a real server process, a real HTTP client, on
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{ADMIN_TOKEN, ALL_SCOPES, Server, config, put_body, seal_cred, seal_totp};
use reqwest::{Method, StatusCode};
use sealvault::{EnvelopeKey, ItemInfo, open_with_envelope_key};
use serde_json::{Value, json};

const TOTP_URI: &str = "otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME";

async fn lease(
    s: &Server,
    token: &str,
    item: &str,
    purpose: &str,
    ttl: u64,
) -> (StatusCode, Value) {
    s.call(
        Method::POST,
        &format!("/v1/credentials/{item}/sessions"),
        Some(token),
        Some(json!({"purpose": purpose, "ttl_secs": ttl})),
    )
    .await
}

async fn access(s: &Server, token: &str, item: &str, lease_token: &str) -> (StatusCode, Value) {
    s.call_h(
        Method::POST,
        &format!("/v1/credentials/{item}/access"),
        Some(token),
        &[("x-lease-token", lease_token)],
        None,
    )
    .await
}

both_dbs!(full_flow, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let (status, body) = s.call(Method::POST, "/v1/keys", Some(&token), None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("data_key_exists"))
    );
    let cfg = config("acme");
    let env = seal_cred(&dk, &user, "acme", 1, &cfg, "hunter2");
    let totp = seal_totp(&dk, &user, "acme", 1, TOTP_URI);
    let (status, put) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&env, Some(&totp), &cfg, 0)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{put}");
    assert_eq!(put["version"], 1);
    assert_eq!(put["key_id"], dk.key_id().to_hex());
    let (status, got) = s
        .call(Method::GET, "/v1/credentials/acme", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["envelope"], common::b64(&env));
    assert_eq!(got["totp_envelope"], common::b64(&totp));
    assert_eq!(got["config"], cfg);
    let (_, list) = s
        .call(Method::GET, "/v1/credentials", Some(&token), None)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Leased access with the released envelope key.
    let (status, grant) = lease(&s, &token, "acme", "login", 60).await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    assert_eq!(grant["phase"], "login");
    assert_eq!(grant["state_key_id"], dk.key_id().to_hex());
    let sk = sealvault::state_key(&dk, &user, "acme").unwrap();
    assert_eq!(grant["state_key"], common::b64(sk.expose_secret()));
    let lt = grant["lease_token"].as_str().unwrap().to_owned();
    let (status, acc) = access(&s, &token, "acme", &lt).await;
    assert_eq!(status, StatusCode::OK, "{acc}");
    let ek = EnvelopeKey::from_api(acc["envelope_key"].as_str().unwrap()).unwrap();
    let envelope = sealvault::encoding::b64_decode(acc["envelope"].as_str().unwrap()).unwrap();
    let info = ItemInfo::credential(&user, "acme", 1, &acc["config"]);
    let plain = open_with_envelope_key(&ek, &envelope, &info.context().unwrap()).unwrap();
    assert!(String::from_utf8_lossy(&plain).contains("hunter2"));

    // TOTP: a code for this lease, none for a second lease in the same step.
    let path = "/v1/credentials/acme/totp";
    let (status, code) = s
        .call_h(
            Method::POST,
            path,
            Some(&token),
            &[("x-lease-token", &lt)],
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{code}");
    let now = sealvault_server::now();
    let expected = sealvault::totp::Totp::from_uri(TOTP_URI).unwrap();
    if code["code"].is_string() {
        assert_eq!(code["code"].as_str().unwrap(), expected.at(now).unwrap());
    }
    let (status, c) = s
        .call_h(
            Method::POST,
            path,
            Some(&token),
            &[("x-lease-token", &lt)],
            Some(json!({"min_validity_secs": 31})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(c["code"].is_null() && c["retry_after_secs"].is_u64(), "{c}");

    // login-complete ends the login phase.
    let sid = grant["session_id"].as_str().unwrap();
    let (status, done) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{sid}/login-complete"),
            Some(&token),
            &[("x-lease-token", &lt)],
            None,
        )
        .await;
    assert_eq!(
        (status, done["phase"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    let (status, e) = access(&s, &token, "acme", &lt).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("lease_required"))
    );
    let (status, hb) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{sid}/heartbeat"),
            Some(&token),
            &[("x-lease-token", &lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hb}");
    let (status, _) = s
        .call_h(
            Method::DELETE,
            &format!("/v1/sessions/{sid}"),
            Some(&token),
            &[("x-lease-token", &lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Rotation, then access opens under the new key.
    let (status, rot) = s
        .call(
            Method::POST,
            "/v1/keys/rotate",
            Some(&token),
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rot}");
    assert_eq!(rot["reencrypted"], 2);
    let (status, again) = s
        .call(
            Method::POST,
            "/v1/keys/rotate",
            Some(&token),
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("stale_data_key"))
    );
    assert_eq!(again["error"]["current_key_id"], rot["key_id"]);
    let dk2 = s.current_key(&token).await;
    assert_eq!(dk2.key_id().to_hex(), rot["key_id"]);
    let (_, got) = s
        .call(Method::GET, "/v1/credentials/acme", Some(&token), None)
        .await;
    let env2 = sealvault::encoding::b64_decode(got["envelope"].as_str().unwrap()).unwrap();
    let pt = sealvault::open(&dk2, &env2, &info.context().unwrap()).unwrap();
    assert!(String::from_utf8_lossy(&pt).contains("hunter2"));
    let totp2 = sealvault::encoding::b64_decode(got["totp_envelope"].as_str().unwrap()).unwrap();
    sealvault::open(
        &dk2,
        &totp2,
        &ItemInfo::totp_seed(&user, "acme", 1).context().unwrap(),
    )
    .unwrap();
    let (_, grant) = lease(&s, &token, "acme", "login", 60).await;
    let (status, acc) = access(&s, &token, "acme", grant["lease_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let ek = EnvelopeKey::from_api(acc["envelope_key"].as_str().unwrap()).unwrap();
    open_with_envelope_key(&ek, &env2, &info.context().unwrap()).unwrap();

    // Old-key ingest is stale.
    let stale = seal_cred(&dk, &user, "acme", 2, &cfg, "x");
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&stale, None, &cfg, 1)),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("stale_data_key"))
    );
    assert_eq!(e["error"]["current_key_id"], rot["key_id"]);
});

both_dbs!(ingest_rejections, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = config("acme");
    let put = |body: Value| {
        let s = &s;
        let token = token.clone();
        async move {
            s.call(
                Method::PUT,
                "/v1/credentials/acme",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let code = |r: &(StatusCode, Value)| {
        (
            r.0.as_u16(),
            r.1["error"]["code"].as_str().unwrap_or("").to_owned(),
        )
    };
    // Another key id: stale.
    let other = sealvault::DataKey::generate();
    let r = put(put_body(
        &seal_cred(&other, &user, "acme", 1, &cfg, "p"),
        None,
        &cfg,
        0,
    ))
    .await;
    assert_eq!(code(&r), (409, "stale_data_key".into()));
    assert_eq!(r.1["error"]["current_key_id"], dk.key_id().to_hex());
    // Same id, other bytes: commitment.
    let forged = sealvault::DataKey::from_bytes(dk.key_id().as_bytes(), &[9u8; 32]).unwrap();
    let r = put(put_body(
        &seal_cred(&forged, &user, "acme", 1, &cfg, "p"),
        None,
        &cfg,
        0,
    ))
    .await;
    assert_eq!(code(&r), (422, "commitment_mismatch".into()));
    // A flipped ciphertext bit: integrity.
    let mut env = seal_cred(&dk, &user, "acme", 1, &cfg, "p");
    let last = env.len() - 20;
    env[last] ^= 1;
    assert_eq!(
        code(&put(put_body(&env, None, &cfg, 0)).await),
        (422, "integrity".into())
    );
    // Context: other item, other user, wrong kind, wrong version, other config.
    for env in [
        seal_cred(&dk, &user, "other", 1, &cfg, "p"),
        seal_cred(&dk, "usr_someone", "acme", 1, &cfg, "p"),
        seal_totp(&dk, &user, "acme", 1, TOTP_URI),
        seal_cred(&dk, &user, "acme", 2, &cfg, "p"),
        seal_cred(&dk, &user, "acme", 1, &config("other-name"), "p"),
    ] {
        assert_eq!(
            code(&put(put_body(&env, None, &cfg, 0)).await),
            (422, "context_mismatch".into())
        );
    }
    // A credential envelope as the TOTP seed.
    let good = seal_cred(&dk, &user, "acme", 1, &cfg, "p");
    let r = put(put_body(
        &good,
        Some(&seal_cred(&dk, &user, "acme", 1, &cfg, "p")),
        &cfg,
        0,
    ))
    .await;
    assert_eq!(code(&r), (422, "context_mismatch".into()));
    // Malformed and unsupported envelopes, bad base64, bad config.
    assert_eq!(
        code(&put(put_body(b"garbage", None, &cfg, 0)).await),
        (422, "malformed_envelope".into())
    );
    let mut v2 = good.clone();
    v2[2] = 2;
    assert_eq!(
        code(&put(put_body(&v2, None, &cfg, 0)).await),
        (422, "unsupported_version".into())
    );
    let r = put(json!({"envelope": "!!", "config": cfg, "expected_version": 0})).await;
    assert_eq!(code(&r), (400, "invalid_request".into()));
    let bad_cfg = json!({"name": "acme", "surprise": 1});
    assert_eq!(
        code(&put(put_body(&good, None, &bad_cfg, 0)).await),
        (400, "invalid_config".into())
    );
    // Nothing was stored.
    let (status, _) = s
        .call(Method::GET, "/v1/credentials/acme", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Accepted once; replayed: salt reuse (before the version check).
    assert_eq!(
        put(put_body(&good, None, &cfg, 0)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        code(&put(put_body(&good, None, &cfg, 0)).await),
        (409, "salt_reuse".into())
    );
    // A fresh envelope with a stale expected_version: CAS conflict.
    let r = put(put_body(
        &seal_cred(&dk, &user, "acme", 1, &cfg, "p"),
        None,
        &cfg,
        0,
    ))
    .await;
    assert_eq!(code(&r), (409, "version_conflict".into()));
    assert_eq!(r.1["error"]["current_version"], 1);
});

both_dbs!(cas_and_tombstones, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = config("acme");
    let put = |v: u64, expected: u64| {
        let body = put_body(
            &seal_cred(&dk, &user, "acme", v, &cfg, "p"),
            None,
            &cfg,
            expected,
        );
        let (s, token) = (&s, token.clone());
        async move {
            s.call(
                Method::PUT,
                "/v1/credentials/acme",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(put(1, 0).await.0, StatusCode::CREATED);
    assert_eq!(put(2, 1).await.0, StatusCode::OK);
    let (status, e) = s
        .call(
            Method::DELETE,
            "/v1/credentials/acme?expected_version=1",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (status, e["error"]["current_version"].as_u64()),
        (StatusCode::CONFLICT, Some(2))
    );
    let (status, e) = s
        .call(Method::DELETE, "/v1/credentials/acme", Some(&token), None)
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, _) = s
        .call(
            Method::DELETE,
            "/v1/credentials/acme?expected_version=2",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .call(Method::GET, "/v1/credentials/acme", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = s
        .call(Method::GET, "/v1/credentials", Some(&token), None)
        .await;
    assert_eq!(list["items"], json!([]));
    // Re-creation continues from the tombstone: version 1 is refused.
    let (status, e) = put(1, 0).await;
    assert_eq!(
        (status, e["error"]["current_version"].as_u64()),
        (StatusCode::CONFLICT, Some(2))
    );
    let (status, body) = put(3, 2).await;
    assert_eq!(
        (status, body["version"].as_u64()),
        (StatusCode::CREATED, Some(3))
    );
});

both_dbs!(isolation, |s: Server| async move {
    let (alice, a_token) = s.user_with(ALL_SCOPES, None).await;
    let (_bob, b_token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&a_token).await;
    s.data_key(&b_token).await;
    let cfg = config("x");
    for item in ["acme", "crm-1"] {
        let body = put_body(&seal_cred(&dk, &alice, item, 1, &cfg, "p"), None, &cfg, 0);
        assert_eq!(
            s.call(
                Method::PUT,
                &format!("/v1/credentials/{item}"),
                Some(&a_token),
                Some(body)
            )
            .await
            .0,
            StatusCode::CREATED
        );
    }
    let limited = s.token(&alice, ALL_SCOPES, Some(vec!["crm-*"])).await;
    let (_, list) = s
        .call(Method::GET, "/v1/credentials", Some(&limited), None)
        .await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["crm-1"]);
    let (_, list) = s
        .call(Method::GET, "/v1/credentials", Some(&b_token), None)
        .await;
    assert_eq!(list["items"], json!([]));
    // Every item route: outside the user or the list is 404, like a missing item.
    for (token, item) in [
        (&b_token, "acme"),
        (&limited, "acme"),
        (&a_token, "missing"),
    ] {
        let not_found = |r: (StatusCode, Value)| {
            assert_eq!(
                (r.0, r.1["error"]["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{item}"
            )
        };
        not_found(
            s.call(
                Method::GET,
                &format!("/v1/credentials/{item}"),
                Some(token),
                None,
            )
            .await,
        );
        not_found(
            s.call(
                Method::DELETE,
                &format!("/v1/credentials/{item}?expected_version=1"),
                Some(token),
                None,
            )
            .await,
        );
        not_found(lease(&s, token, item, "login", 60).await);
    }
    let body = put_body(&seal_cred(&dk, &alice, "acme", 2, &cfg, "p"), None, &cfg, 1);
    let (status, _) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&limited),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bob's lease token cannot access Alice's item, nor Alice's lease Bob's session routes.
    let (_, grant) = lease(&s, &a_token, "acme", "login", 60).await;
    let lt = grant["lease_token"].as_str().unwrap();
    assert_eq!(
        access(&s, &b_token, "acme", lt).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        access(&s, &limited, "acme", lt).await.0,
        StatusCode::NOT_FOUND
    );
    let sid = grant["session_id"].as_str().unwrap();
    let (status, _) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{sid}/heartbeat"),
            Some(&b_token),
            &[("x-lease-token", lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Bob's audit view has none of Alice's records.
    let (_, audit) = s.call(Method::GET, "/v1/audit", Some(&b_token), None).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["item_id"] != "acme")
    );
});

both_dbs!(auth_and_scopes, |s: Server| async move {
    let (user, token) = s.user_with(&["secrets:write"], None).await;
    let (status, me) = s.call(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(
        (status, me["user_id"].as_str()),
        (StatusCode::OK, Some(user.as_str()))
    );
    assert_eq!(me["scopes"], json!(["secrets:write"]));
    let (status, e) = s.call(Method::POST, "/v1/keys", Some(&token), None).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, e) = s.call(Method::GET, "/v1/me", None, None).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (status, _) = s
        .call(
            Method::POST,
            "/v1/users",
            Some(&token),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // List (no secrets), revoke.
    let (_, tokens) = s
        .call(
            Method::GET,
            &format!("/v1/users/{user}/tokens"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    let listed = tokens["items"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("token").is_none() && !tokens.to_string().contains(&token));
    let tid = me["token_id"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/v1/users/{user}/tokens/{tid}"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        s.call(Method::GET, "/v1/me", Some(&token), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Token mint is audited.
    let (_, audit) = s
        .call(Method::GET, "/v1/audit", Some(ADMIN_TOKEN), None)
        .await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "token.mint")
    );
    // Failed auth is rate limited.
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        last = s
            .call(Method::GET, "/v1/me", Some("svt_wrong"), None)
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
});

both_dbs!(bodies_and_meta, |s: Server| async move {
    let (_, token) = s.user_with(ALL_SCOPES, None).await;
    let big =
        json!({"envelope": "A".repeat(70 * 1024), "config": {"name": "x"}, "expected_version": 0});
    let (status, e) = s
        .call(Method::PUT, "/v1/credentials/acme", Some(&token), Some(big))
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let response = s
        .client
        .put(format!("{}/v1/credentials/acme", s.base))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let e: Value = response.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid_request");
    let (status, meta) = s.call(Method::GET, "/v1/meta", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["limits"]["credential_body_bytes"], 65536);
    assert_eq!(
        s.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
    let (status, metrics) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains("sealvault_http_requests_total"),
        "{metrics}"
    );
});

/// Replaces the first `from` in `bytes` by `to` (same length).
fn patch(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

/// An envelope for `header_base` built with a released envelope key
/// (DESIGN §4 key schedule, from the key holder's side).
fn forge_with_ek(ek: &[u8], header_base: &[u8], plaintext: &[u8]) -> Vec<u8> {
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    let hk = hkdf::Hkdf::<sha2::Sha256>::from_prk(ek).unwrap();
    let (mut enc, mut commit) = ([0u8; 32], [0u8; 32]);
    hk.expand(b"sealvault/v1/enc", &mut enc).unwrap();
    hk.expand(b"sealvault/v1/commit", &mut commit).unwrap();
    let mut out = header_base.to_vec();
    out.extend_from_slice(&commit);
    let nonce = aes_gcm::Nonce::from_slice(&header_base[52..64]);
    let sealed = aes_gcm::Aes256Gcm::new_from_slice(&enc)
        .unwrap()
        .encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad: &out,
            },
        )
        .unwrap();
    out.extend_from_slice(&sealed);
    out
}

both_dbs!(forgeries_are_refused, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = config("acme");
    let env = seal_cred(&dk, &user, "acme", 1, &cfg, "p");
    let (status, _) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&env, None, &cfg, 0)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // 1. A copied commitment on another header (here: version 2).
    let copied = patch(&env, b"sv:version\x00\x011", b"sv:version\x00\x012");
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&copied, None, &cfg, 1)),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("commitment_mismatch")
        )
    );
    // 2. A released envelope key used to seal a new header.
    let (_, grant) = lease(&s, &token, "acme", "login", 60).await;
    let (_, acc) = access(&s, &token, "acme", grant["lease_token"].as_str().unwrap()).await;
    let ek = sealvault::encoding::b64_decode(acc["envelope_key"].as_str().unwrap()).unwrap();
    let context_len = usize::from(u16::from_be_bytes([env[64], env[65]]));
    let header = patch(
        &env[..66 + context_len],
        b"sv:version\x00\x011",
        b"sv:version\x00\x012",
    );
    let forged = forge_with_ek(
        &ek,
        &header,
        br#"{"username":"mallory","password":"x","fields":{}}"#,
    );
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&forged, None, &cfg, 1)),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("commitment_mismatch")
        )
    );
    // The key holder can re-make the original envelope, but its salt is spent.
    let remade = forge_with_ek(
        &ek,
        &env[..66 + context_len],
        br#"{"username":"mallory","password":"x","fields":{}}"#,
    );
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(put_body(&remade, None, &cfg, 0)),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("salt_reuse"))
    );
    let (_, got) = s
        .call(Method::GET, "/v1/credentials/acme", Some(&token), None)
        .await;
    assert_eq!(
        (got["version"].as_u64(), got["envelope"].as_str()),
        (Some(1), Some(common::b64(&env).as_str()))
    );
});

both_dbs!(
    items_per_user_limit,
    config = "[limits]\nitems_per_user = 2\n",
    |s: Server| async move {
        let (user, token) = s.user_with(ALL_SCOPES, None).await;
        let dk = s.data_key(&token).await;
        let cfg = config("x");
        let put = |item: &'static str, version: u64| {
            let body = put_body(
                &seal_cred(&dk, &user, item, version + 1, &cfg, "p"),
                None,
                &cfg,
                version,
            );
            let (s, token) = (&s, &token);
            async move {
                let (status, e) = s
                    .call(
                        Method::PUT,
                        &format!("/v1/credentials/{item}"),
                        Some(token),
                        Some(body),
                    )
                    .await;
                (status, e["error"]["code"].as_str().map(str::to_owned))
            }
        };
        assert_eq!(put("a", 0).await.0, StatusCode::CREATED);
        assert_eq!(put("b", 0).await.0, StatusCode::CREATED);
        let refused = (StatusCode::BAD_REQUEST, Some("invalid_request".to_owned()));
        assert_eq!(put("c", 0).await, refused);
        // An update of a live item is not a new one.
        assert_eq!(put("a", 1).await.0, StatusCode::OK);
        // A delete frees a slot; re-creating from the tombstone takes one.
        let (status, _) = s
            .call(
                Method::DELETE,
                "/v1/credentials/a?expected_version=2",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(put("c", 0).await.0, StatusCode::CREATED);
        assert_eq!(put("a", 2).await, refused);
    }
);

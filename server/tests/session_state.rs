//! Session state (DESIGN §7, §9; issue 10) on SQLite and PostgreSQL: round
//! trip and versions, fencing, leases, verification failures, rotation,
//! isolation, body limit — against a real server process — and expiry by
//! both rules and by `expires_at`, on read and by the sweeper, against an
//! in-process vault whose clock the test moves.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;

use common::{ADMIN_TOKEN, ALL_SCOPES, Db, Server, b64, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use sealvault::{Context, DataKey, ItemInfo, open, seal_item};
use sealvault_server::app::Embedded;
use sealvault_server::clock::{Clock, ManualClock};
use serde_json::{Value, json};
use sqlx::Connection;

const ITEM: &str = "acme";
const PATH: &str = "/v1/credentials/acme/session-state";

/// A lease as the tests use it.
struct Lease {
    sid: String,
    secret: String,
    fencing: u64,
    state_key: DataKey,
}

/// A user with every scope, a data key and the credential `acme` with `config`.
async fn owner(s: &Server, config: Value) -> (String, String, DataKey) {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let body = put_body(
        &seal_cred(&dk, &user, ITEM, 1, &config, "pw"),
        None,
        &config,
        0,
    );
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    (user, token, dk)
}

fn cfg() -> Value {
    json!({"name": "acme", "concurrency": {"allow_multiple": true, "max_concurrent": 3}})
}

async fn lease(s: &Server, token: &str, purpose: &str, ttl: u64) -> Lease {
    let (status, g) = s
        .call(
            Method::POST,
            "/v1/credentials/acme/sessions",
            Some(token),
            Some(json!({"purpose": purpose, "ttl_secs": ttl})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    Lease {
        sid: g["session_id"].as_str().unwrap().to_owned(),
        secret: g["lease_token"].as_str().unwrap().to_owned(),
        fencing: g["fencing_token"].as_u64().unwrap(),
        state_key: DataKey::from_api(
            g["state_key_id"].as_str().unwrap(),
            g["state_key"].as_str().unwrap(),
        )
        .unwrap(),
    }
}

fn seal_state(sk: &DataKey, user: &str, version: u64, plaintext: &str) -> Vec<u8> {
    let info = ItemInfo::session_state(user, ITEM, version);
    seal_item(sk, &info, &Context::new(), plaintext.as_bytes()).unwrap()
}

fn state_json(marker: &str) -> String {
    json!({"cookies": [{"name": "sid", "value": marker, "domain": "acme.test", "path": "/",
        "expires": -1, "httpOnly": true, "secure": true, "sameSite": "Lax"}],
        "origins": []})
    .to_string()
}

async fn put_raw(
    s: &Server,
    token: &str,
    l: &Lease,
    fencing: &str,
    body: Value,
) -> (StatusCode, Value) {
    s.call_h(
        Method::PUT,
        PATH,
        Some(token),
        &[("x-lease-token", &l.secret), ("x-fencing-token", fencing)],
        Some(body),
    )
    .await
}

async fn put(s: &Server, token: &str, l: &Lease, env: &[u8], expected: u64) -> (StatusCode, Value) {
    let body = json!({"envelope": b64(env), "expected_version": expected});
    put_raw(s, token, l, &l.fencing.to_string(), body).await
}

async fn get(s: &Server, token: &str, secret: &str) -> (StatusCode, Value) {
    s.call_h(
        Method::GET,
        PATH,
        Some(token),
        &[("x-lease-token", secret)],
        None,
    )
    .await
}

async fn delete(s: &Server, token: &str, secret: &str) -> (StatusCode, Value) {
    s.call_h(
        Method::DELETE,
        PATH,
        Some(token),
        &[("x-lease-token", secret)],
        None,
    )
    .await
}

fn code(r: &(StatusCode, Value)) -> (u16, String) {
    (
        r.0.as_u16(),
        r.1["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

fn envelope_of(body: &Value) -> Vec<u8> {
    sealvault::encoding::b64_decode(body["envelope"].as_str().unwrap()).unwrap()
}

/// Opens a state envelope as the SDK would.
fn open_state(sk: &DataKey, user: &str, version: u64, env: &[u8]) -> String {
    let ctx = ItemInfo::session_state(user, ITEM, version)
        .context()
        .unwrap();
    String::from_utf8(open(sk, env, &ctx).unwrap().to_vec()).unwrap()
}

both_dbs!(round_trip_and_versions, |s: Server| async move {
    let (user, token, _dk) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 600).await;
    // Absent at first: 404 without a version.
    let r = get(&s, &token, &l.secret).await;
    assert_eq!(code(&r), (404, "not_found".into()));
    assert!(r.1["error"]["current_version"].is_null(), "{}", r.1);
    // v1 created (201), read back verbatim.
    let v1 = seal_state(&l.state_key, &user, 1, &state_json("one"));
    let (status, w) = put(&s, &token, &l, &v1, 0).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!(w["version"], 1);
    assert_eq!(w["key_id"], l.state_key.key_id().to_hex());
    let (status, g) = get(&s, &token, &l.secret).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(envelope_of(&g), v1);
    assert_eq!(g["version"], 1);
    assert_eq!(open_state(&l.state_key, &user, 1, &v1), state_json("one"));
    // v2 replaces it (200), created_at kept.
    let v2 = seal_state(&l.state_key, &user, 2, &state_json("two"));
    let (status, w2) = put(&s, &token, &l, &v2, 1).await;
    assert_eq!(status, StatusCode::OK, "{w2}");
    assert_eq!(
        (w2["version"].as_u64(), &w2["created_at"]),
        (Some(2), &w["created_at"])
    );
    let (_, g) = get(&s, &token, &l.secret).await;
    assert_eq!(
        (envelope_of(&g), g["version"].as_u64()),
        (v2.clone(), Some(2))
    );
    // Delete: 204, twice (idempotent); then 404 naming the last version.
    assert_eq!(
        delete(&s, &token, &l.secret).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&s, &token, &l.secret).await.0,
        StatusCode::NO_CONTENT
    );
    let r = get(&s, &token, &l.secret).await;
    assert_eq!(code(&r), (404, "not_found".into()));
    assert_eq!(r.1["error"]["current_version"], 2);
    // Versions continue: no restart from 0, no replay of an old envelope.
    let fresh1 = seal_state(&l.state_key, &user, 1, &state_json("again"));
    let r = put(&s, &token, &l, &fresh1, 0).await;
    assert_eq!(code(&r), (409, "version_conflict".into()));
    assert_eq!(r.1["error"]["current_version"], 2);
    assert_eq!(
        code(&put(&s, &token, &l, &v2, 2).await),
        (422, "context_mismatch".into())
    );
    assert_eq!(
        code(&put(&s, &token, &l, &v2, 1).await),
        (409, "salt_reuse".into())
    );
    assert_eq!(
        code(&put(&s, &token, &l, &v1, 0).await),
        (409, "salt_reuse".into())
    );
    let v3 = seal_state(&l.state_key, &user, 3, &state_json("three"));
    let (status, w3) = put(&s, &token, &l, &v3, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{w3}");
    assert_eq!(w3["version"], 3);
    // A login-phase lease may read and write too.
    let login = lease(&s, &token, "login", 600).await;
    let (status, g) = get(&s, &token, &login.secret).await;
    assert_eq!((status, g["version"].as_u64()), (StatusCode::OK, Some(3)));
    // Deleting the credential deletes its state; re-created, the state's
    // versions continue from the tombstone.
    let (status, _) = s
        .call(
            Method::DELETE,
            "/v1/credentials/acme?expected_version=1",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(count_states(&s).await, 0);
    let dk = s.current_key(&token).await;
    let body = put_body(
        &seal_cred(&dk, &user, ITEM, 2, &cfg(), "pw"),
        None,
        &cfg(),
        1,
    );
    let (status, e) = s
        .call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let l = lease(&s, &token, "use", 600).await;
    let r = get(&s, &token, &l.secret).await;
    assert_eq!(
        (r.0, r.1["error"]["current_version"].as_u64()),
        (StatusCode::NOT_FOUND, Some(3))
    );
    let v4 = seal_state(&l.state_key, &user, 4, &state_json("four"));
    assert_eq!(put(&s, &token, &l, &v4, 3).await.0, StatusCode::CREATED);
    // Audited without the envelope; counted in /metrics.
    let (_, audit) = s
        .call(Method::GET, "/v1/audit", Some(ADMIN_TOKEN), None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in [
        "session_state.put",
        "session_state.get",
        "session_state.delete",
    ] {
        assert!(actions.contains(&action), "{action} missing: {actions:?}");
    }
    let text = audit.to_string();
    for env in [&v1, &v2, &v3, &v4] {
        assert!(!text.contains(&b64(env)[..40]));
    }
    let (_, metrics) = s.call(Method::GET, "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap().to_owned();
    assert!(
        metrics.contains("sealvault_session_states_total{event=\"put\"}"),
        "{metrics}"
    );
});

/// Rows in `session_states`, read straight from the database.
async fn count_states(s: &Server) -> i64 {
    let sql = "SELECT COUNT(*) FROM session_states";
    match s.db {
        Db::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    }
}

/// The stored state, as a holder of `secret` reads it.
async fn stored(s: &Server, token: &str, secret: &str) -> (Vec<u8>, u64) {
    let (status, g) = get(s, token, secret).await;
    assert_eq!(status, StatusCode::OK, "{g}");
    (envelope_of(&g), g["version"].as_u64().unwrap())
}

both_dbs!(compare_and_set, |s: Server| async move {
    let (user, token, _) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 600).await;
    let a = seal_state(&l.state_key, &user, 1, &state_json("a"));
    let b = seal_state(&l.state_key, &user, 1, &state_json("b"));
    assert_eq!(put(&s, &token, &l, &a, 0).await.0, StatusCode::CREATED);
    let r = put(&s, &token, &l, &b, 0).await;
    assert_eq!(code(&r), (409, "version_conflict".into()));
    assert_eq!(r.1["error"]["current_version"], 1);
    assert_eq!(stored(&s, &token, &l.secret).await, (a, 1));
});

both_dbs!(fencing, |s: Server| async move {
    let (user, token, _) = owner(&s, cfg()).await;
    let older = lease(&s, &token, "use", 600).await;
    let newer = lease(&s, &token, "use", 600).await;
    assert!(newer.fencing > older.fencing);
    // The older lease may write while no newer one has.
    let v1 = seal_state(&older.state_key, &user, 1, &state_json("older"));
    assert_eq!(put(&s, &token, &older, &v1, 0).await.0, StatusCode::CREATED);
    // The newer writes; from then on the older is refused, nothing changes.
    let v2 = seal_state(&newer.state_key, &user, 2, &state_json("newer"));
    assert_eq!(put(&s, &token, &newer, &v2, 1).await.0, StatusCode::OK);
    let v3 = seal_state(&older.state_key, &user, 3, &state_json("older again"));
    let r = put(&s, &token, &older, &v3, 2).await;
    assert_eq!(code(&r), (409, "stale_fencing_token".into()));
    assert_eq!(
        code(&delete(&s, &token, &older.secret).await),
        (409, "stale_fencing_token".into())
    );
    assert_eq!(stored(&s, &token, &newer.secret).await, (v2.clone(), 2));
    // The header must be the presented lease's own token, and present.
    let body = json!({"envelope": b64(&v3), "expected_version": 2});
    let r = put_raw(&s, &token, &older, &newer.fencing.to_string(), body.clone()).await;
    assert_eq!(code(&r), (409, "stale_fencing_token".into()));
    let r = s
        .call_h(
            Method::PUT,
            PATH,
            Some(&token),
            &[("x-lease-token", &older.secret)],
            Some(body),
        )
        .await;
    assert_eq!(code(&r), (400, "invalid_request".into()));
    assert_eq!(stored(&s, &token, &newer.secret).await, (v2, 2));
    // Reading stays open to the older lease.
    assert_eq!(get(&s, &token, &older.secret).await.0, StatusCode::OK);
    // A newer lease's delete is allowed, and fences the older one still.
    assert_eq!(
        delete(&s, &token, &newer.secret).await.0,
        StatusCode::NO_CONTENT
    );
    let r = put(&s, &token, &older, &v3, 2).await;
    assert_eq!(code(&r), (409, "stale_fencing_token".into()));
    assert_eq!(count_states(&s).await, 0);
});

both_dbs!(lease_required, |s: Server| async move {
    let (user, token, _) = owner(&s, cfg()).await;
    let short = lease(&s, &token, "use", 1).await;
    let live = lease(&s, &token, "use", 600).await;
    let v1 = seal_state(&live.state_key, &user, 1, &state_json("x"));
    assert_eq!(put(&s, &token, &live, &v1, 0).await.0, StatusCode::CREATED);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let v2 = seal_state(&short.state_key, &user, 2, &state_json("y"));
    let lr = (409, "lease_required".to_owned());
    assert_eq!(code(&put(&s, &token, &short, &v2, 1).await), lr);
    assert_eq!(code(&get(&s, &token, &short.secret).await), lr);
    assert_eq!(code(&delete(&s, &token, &short.secret).await), lr);
    // No header, an unknown secret, a released lease: the same.
    let r = s.call(Method::GET, PATH, Some(&token), None).await;
    assert_eq!(code(&r), lr);
    assert_eq!(code(&get(&s, &token, "svl_not-a-lease").await), lr);
    let (status, _) = s
        .call_h(
            Method::DELETE,
            &format!("/v1/sessions/{}", live.sid),
            Some(&token),
            &[("x-lease-token", &live.secret)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(code(&get(&s, &token, &live.secret).await), lr);
    // Nothing changed.
    let l = lease(&s, &token, "use", 600).await;
    assert_eq!(stored(&s, &token, &l.secret).await, (v1, 1));
});

/// `env` with byte `at` (from the end when negative) flipped.
fn flip(env: &[u8], at: isize) -> Vec<u8> {
    let mut out = env.to_vec();
    let i = if at < 0 {
        out.len() - at.unsigned_abs()
    } else {
        at as usize
    };
    out[i] ^= 0x01;
    out
}

both_dbs!(
    verification_failures_change_nothing,
    |s: Server| async move {
        let (user, token, dk) = owner(&s, cfg()).await;
        let l = lease(&s, &token, "use", 600).await;
        let v1 = seal_state(&l.state_key, &user, 1, &state_json("kept"));
        assert_eq!(put(&s, &token, &l, &v1, 0).await.0, StatusCode::CREATED);
        let sk = &l.state_key;
        let plain = state_json("evil");
        let seal_as = |info: ItemInfo<'_>, key: &DataKey| {
            seal_item(key, &info, &Context::new(), plain.as_bytes()).unwrap()
        };
        let good = seal_state(sk, &user, 2, &plain);
        let context_len = usize::from(u16::from_be_bytes([good[64], good[65]]));
        let other_user_key = DataKey::generate();
        let cases: Vec<(&str, Vec<u8>, (u16, &str))> = vec![
            ("garbage", b"garbage".to_vec(), (422, "malformed_envelope")),
            (
                "format v2",
                {
                    let mut e = good.clone();
                    e[2] = 2;
                    e
                },
                (422, "unsupported_version"),
            ),
            (
                "another data key",
                seal_state(&other_user_key, &user, 2, &plain),
                (409, "stale_data_key"),
            ),
            (
                "the data key, not the state key",
                seal_state(&dk, &user, 2, &plain),
                (422, "commitment_mismatch"),
            ),
            (
                "commitment",
                flip(&good, (66 + context_len) as isize),
                (422, "commitment_mismatch"),
            ),
            ("GCM tag", flip(&good, -1), (422, "integrity")),
            (
                "ciphertext",
                flip(&good, (98 + context_len) as isize),
                (422, "integrity"),
            ),
            (
                "other item",
                seal_as(ItemInfo::session_state(&user, "crm", 2), sk),
                (422, "context_mismatch"),
            ),
            (
                "other user",
                seal_as(ItemInfo::session_state("usr_other", ITEM, 2), sk),
                (422, "context_mismatch"),
            ),
            (
                "other kind",
                seal_as(ItemInfo::totp_seed(&user, ITEM, 2), sk),
                (422, "context_mismatch"),
            ),
            (
                "other version",
                seal_state(sk, &user, 3, &plain),
                (422, "context_mismatch"),
            ),
            ("replayed v1", v1.clone(), (422, "context_mismatch")),
        ];
        for (name, env, want) in cases {
            let r = put(&s, &token, &l, &env, 1).await;
            assert_eq!(code(&r), (want.0, want.1.to_owned()), "{name}: {}", r.1);
            assert!(!r.1.to_string().contains("evil"), "{name}");
            if want.1 == "stale_data_key" {
                assert_eq!(
                    r.1["error"]["current_key_id"],
                    dk.key_id().to_hex(),
                    "{name}"
                );
            }
            assert_eq!(
                stored(&s, &token, &l.secret).await,
                (v1.clone(), 1),
                "{name}"
            );
        }
        // Salt reuse: the good envelope accepted once, then refused, unchanged.
        assert_eq!(put(&s, &token, &l, &good, 1).await.0, StatusCode::OK);
        let r = put(&s, &token, &l, &good, 1).await;
        assert_eq!(code(&r), (409, "salt_reuse".into()));
        assert_eq!(stored(&s, &token, &l.secret).await, (good, 2));
    }
);

both_dbs!(rotation_reseals_states, |s: Server| async move {
    let (user, token, dk) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 600).await;
    let v1 = seal_state(&l.state_key, &user, 1, &state_json("rotated"));
    assert_eq!(put(&s, &token, &l, &v1, 0).await.0, StatusCode::CREATED);
    let (status, rot) = s
        .call(
            Method::POST,
            "/v1/keys/rotate",
            Some(&token),
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rot}");
    assert_eq!(rot["reencrypted"], 2, "credential + state");
    let new_key_id = rot["key_id"].as_str().unwrap().to_owned();
    // The heartbeat hands out the new state key.
    let (status, hb) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{}/heartbeat", l.sid),
            Some(&token),
            &[("x-lease-token", &l.secret)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hb}");
    assert_eq!(hb["state_key_id"], new_key_id);
    let new_sk = DataKey::from_api(&new_key_id, hb["state_key"].as_str().unwrap()).unwrap();
    assert_ne!(new_sk.key_id(), l.state_key.key_id());
    // The state was re-sealed: new bytes, same version, opens with the new key only.
    let (env, version) = stored(&s, &token, &l.secret).await;
    assert_eq!(version, 1);
    assert_ne!(env, v1);
    assert_eq!(sealvault::inspect(&env).unwrap().key_id, new_sk.key_id());
    assert_eq!(open_state(&new_sk, &user, 1, &env), state_json("rotated"));
    let ctx = ItemInfo::session_state(&user, ITEM, 1).context().unwrap();
    assert!(open(&l.state_key, &env, &ctx).is_err());
    // A PUT still under the old state key: stale_data_key, nothing stored.
    let stale = seal_state(&l.state_key, &user, 2, &state_json("stale"));
    let r = put(&s, &token, &l, &stale, 1).await;
    assert_eq!(code(&r), (409, "stale_data_key".into()));
    assert_eq!(r.1["error"]["current_key_id"], new_key_id);
    assert_eq!(stored(&s, &token, &l.secret).await, (env, 1));
    let fresh = seal_state(&new_sk, &user, 2, &state_json("fresh"));
    let (status, w) = put(&s, &token, &l, &fresh, 1).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["key_id"], new_key_id);
    // A new grant carries the new key too.
    let l2 = lease(&s, &token, "use", 600).await;
    assert_eq!(l2.state_key.key_id(), new_sk.key_id());
});

both_dbs!(isolation, |s: Server| async move {
    let (user, token, _) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 600).await;
    let v1 = seal_state(&l.state_key, &user, 1, &state_json("mine"));
    assert_eq!(put(&s, &token, &l, &v1, 0).await.0, StatusCode::CREATED);
    // Another user (with a credential of the same id), and this user's
    // token limited to other items: 404 like a missing item, even holding
    // the owner's lease secret.
    let (_other, other_token) = s.user_with(ALL_SCOPES, None).await;
    let limited = s.token(&user, &["sessions"], Some(vec!["crm-*"])).await;
    let missing = s
        .call_h(
            Method::GET,
            "/v1/credentials/nope/session-state",
            Some(&token),
            &[("x-lease-token", &l.secret)],
            None,
        )
        .await;
    assert_eq!(code(&missing), (404, "not_found".into()));
    let body = json!({"envelope": b64(&v1), "expected_version": 1});
    for who in [&other_token, &limited] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let r = s
                .call_h(
                    method.clone(),
                    PATH,
                    Some(who),
                    &[
                        ("x-lease-token", &l.secret),
                        ("x-fencing-token", &l.fencing.to_string()),
                    ],
                    (method == Method::PUT).then(|| body.clone()),
                )
                .await;
            assert_eq!(r, missing, "{method}");
        }
    }
    // Another user's own `acme` and lease see only their own (absent) state.
    let (other2, other2_token, _) = owner(&s, cfg()).await;
    let theirs = lease(&s, &other2_token, "use", 600).await;
    assert_eq!(
        code(&get(&s, &other2_token, &theirs.secret).await),
        (404, "not_found".into())
    );
    let r = get(&s, &other2_token, &l.secret).await;
    assert_eq!(
        code(&r),
        (409, "lease_required".into()),
        "a lease of another user is no lease"
    );
    let mine = seal_state(&theirs.state_key, &other2, 1, &state_json("theirs"));
    assert_eq!(
        put(&s, &other2_token, &theirs, &mine, 0).await.0,
        StatusCode::CREATED
    );
    // Without the sessions scope: 403.
    let no_scope = s.token(&user, &["secrets:write"], None).await;
    let r = get(&s, &no_scope, &l.secret).await;
    assert_eq!(code(&r), (403, "forbidden".into()));
    assert_eq!(stored(&s, &token, &l.secret).await, (v1, 1));
});

both_dbs!(body_limit, |s: Server| async move {
    let (user, token, _) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 600).await;
    // 1 MiB of state: far past the credential limit, within the state one.
    let big = "x".repeat(1024 * 1024);
    let v1 = seal_state(&l.state_key, &user, 1, &big);
    let (status, w) = put(&s, &token, &l, &v1, 0).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!(stored(&s, &token, &l.secret).await, (v1.clone(), 1));
    // Past 4 MiB: 413 with a JSON error, nothing stored.
    let huge = seal_state(&l.state_key, &user, 2, &"y".repeat(3 * 1024 * 1024 + 1024));
    let r = put(&s, &token, &l, &huge, 1).await;
    assert_eq!(code(&r), (413, "payload_too_large".into()));
    assert_eq!(stored(&s, &token, &l.secret).await, (v1, 1));
    // Credential routes keep their 64 KiB.
    let cfg = json!({"name": "acme", "pad": "z".repeat(70 * 1024)});
    let r = s
        .call(
            Method::PUT,
            "/v1/credentials/big",
            Some(&token),
            Some(json!({"envelope": "", "config": cfg, "expected_version": 0})),
        )
        .await;
    assert_eq!(code(&r), (413, "payload_too_large".into()));
});

/// An in-process vault on `db` whose clock the test moves, sweeping every
/// second; `None` when PostgreSQL is unavailable and not required.
async fn embedded(db: Db, clock: Arc<ManualClock>) -> Option<(Embedded, Server)> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("vault.db").display()),
        Db::Postgres => common::pg::fresh_database().await?,
    };
    let key = dir.path().join("master.key");
    std::fs::write(&key, [9u8; 32]).unwrap();
    let toml = format!(
        "listen = \"127.0.0.1:0\"\ndatabase_url = \"{url}\"\nadmin_token = \"{ADMIN_TOKEN}\"\n\
         [[master_keys]]\nid = \"t\"\nprovider = \"file\"\npath = \"{}\"\nactive = true\n\
         [session_state]\nsweep_interval_secs = 1\n",
        key.display()
    );
    let config: sealvault_server::config::Config = toml::from_str(&toml).unwrap();
    let vault = Embedded::start_with_clock(&config, false, clock)
        .await
        .unwrap();
    let server = Server::attached(vault.base_url(), dir, db, url);
    Some((vault, server))
}

async fn expiry(db: Db) {
    let clock = Arc::new(ManualClock::starting_now());
    let Some((vault, s)) = embedded(db, clock.clone()).await else {
        return;
    };
    let t0 = clock.now();
    let config = json!({"name": "acme", "expiration": {"from_last_use_secs": 100, "from_creation_secs": 300}});
    let (user, token, _) = owner(&s, config).await;
    let l = lease(&s, &token, "use", 3600).await;
    let mut version = 0;
    let mut next = |l: &Lease, marker: &str| {
        version += 1;
        (
            seal_state(&l.state_key, &user, version, &state_json(marker)),
            version - 1,
        )
    };
    // created_at kept, last_used_at moved by GET and PUT (clock time).
    let (env, exp) = next(&l, "1");
    let (_, w) = put(&s, &token, &l, &env, exp).await;
    assert_eq!(
        (w["created_at"].as_i64(), w["last_used_at"].as_i64()),
        (Some(t0), Some(t0))
    );
    clock.advance(60);
    let (_, g) = get(&s, &token, &l.secret).await;
    assert_eq!(
        (g["created_at"].as_i64(), g["last_used_at"].as_i64()),
        (Some(t0), Some(t0 + 60))
    );
    clock.advance(90);
    let (env, exp) = next(&l, "2");
    let (status, w) = put(&s, &token, &l, &env, exp).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(
        (w["created_at"].as_i64(), w["last_used_at"].as_i64()),
        (Some(t0), Some(t0 + 150))
    );
    // Unused for 99 s: alive; 100 s: expired (from last use), deleted on read.
    clock.advance(99);
    assert_eq!(get(&s, &token, &l.secret).await.0, StatusCode::OK);
    clock.advance(100);
    let r = get(&s, &token, &l.secret).await;
    assert_eq!(code(&r), (404, "not_found".into()));
    assert_eq!(r.1["error"]["current_version"], 2);
    assert_eq!(count_states(&s).await, 0, "deleted on read");
    // A PUT after expiry is a fresh login: new created_at, versions go on.
    let t1 = clock.now();
    let (env, exp) = next(&l, "3");
    let (status, w) = put(&s, &token, &l, &env, exp).await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    assert_eq!(
        (w["version"].as_u64(), w["created_at"].as_i64()),
        (Some(3), Some(t1))
    );
    // Used every 90 s, it still dies 300 s after creation.
    for _ in 0..3 {
        clock.advance(90);
        assert_eq!(get(&s, &token, &l.secret).await.0, StatusCode::OK);
    }
    clock.advance(30);
    assert_eq!(
        code(&get(&s, &token, &l.secret).await),
        (404, "not_found".into())
    );
    // The writer's expires_at, before either rule.
    let t2 = clock.now();
    let (env, exp) = next(&l, "4");
    let body = json!({"envelope": b64(&env), "expected_version": exp, "expires_at": t2 + 50});
    assert_eq!(
        put_raw(&s, &token, &l, &l.fencing.to_string(), body)
            .await
            .0,
        StatusCode::CREATED
    );
    clock.advance(49);
    assert_eq!(get(&s, &token, &l.secret).await.0, StatusCode::OK);
    clock.advance(1);
    assert_eq!(
        code(&get(&s, &token, &l.secret).await),
        (404, "not_found".into())
    );
    // The sweeper deletes expired states of every user, and only those.
    let (env, exp) = next(&l, "5");
    assert_eq!(put(&s, &token, &l, &env, exp).await.0, StatusCode::CREATED);
    let (user2, token2, _) = owner(
        &s,
        json!({"name": "acme", "expiration": {"from_last_use_secs": 1000}}),
    )
    .await;
    let l2 = lease(&s, &token2, "use", 3600).await;
    let env2 = seal_state(&l2.state_key, &user2, 1, &state_json("u2"));
    assert_eq!(put(&s, &token2, &l2, &env2, 0).await.0, StatusCode::CREATED);
    let (user3, token3, _) = owner(&s, json!({"name": "acme"})).await;
    let l3 = lease(&s, &token3, "use", 3600).await;
    let env3 = seal_state(&l3.state_key, &user3, 1, &state_json("forever"));
    assert_eq!(put(&s, &token3, &l3, &env3, 0).await.0, StatusCode::CREATED);
    assert_eq!(count_states(&s).await, 3);
    // The background sweeper (every second) takes the first...
    clock.advance(200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count_states(&s).await != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper did not delete the first state"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // ...and a sweep run through the library API (racing the background
    // one, so either may count it) the second.
    clock.advance(1000);
    let swept = sealvault_server::session_state::sweep(vault.state())
        .await
        .unwrap();
    assert!(swept <= 1, "{swept}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count_states(&s).await != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper did not delete the second state"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Only the state without rules remains.
    assert_eq!(stored(&s, &token3, &l3.secret).await, (env3, 1));
    assert_eq!(
        code(&get(&s, &token2, &l2.secret).await),
        (404, "not_found".into())
    );
    let (_, audit) = s
        .call(Method::GET, "/v1/audit", Some(ADMIN_TOKEN), None)
        .await;
    let expires: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "session_state.expire")
        .map(|r| r["detail"]["on"].as_str().unwrap())
        .collect();
    assert_eq!(
        expires.iter().filter(|on| **on == "use").count(),
        3,
        "{expires:?}"
    );
    assert_eq!(
        expires.iter().filter(|on| **on == "sweep").count(),
        2,
        "{expires:?}"
    );
    vault.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_sqlite() {
    expiry(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_postgres() {
    expiry(Db::Postgres).await;
}

both_dbs!(serve_runs_the_sweeper, |s: Server| async move {
    let mut s = s;
    s.kill();
    s.extra_env = vec![("SEALVAULT_STATE_SWEEP_SECS".into(), "1".into())];
    s.spawn();
    let config = json!({"name": "acme", "expiration": {"from_last_use_secs": 1}});
    let (user, token, _) = owner(&s, config).await;
    let l = lease(&s, &token, "use", 600).await;
    let v1 = seal_state(&l.state_key, &user, 1, &state_json("short-lived"));
    assert_eq!(put(&s, &token, &l, &v1, 0).await.0, StatusCode::CREATED);
    // Nobody reads it: the server process's own sweeper deletes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while count_states(&s).await != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no sweep:\n{}",
            s.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        s.logs().contains("expired session states swept"),
        "{}",
        s.logs()
    );
    let r = get(&s, &token, &l.secret).await;
    assert_eq!(
        (r.0, r.1["error"]["current_version"].as_u64()),
        (StatusCode::NOT_FOUND, Some(1))
    );
});

both_dbs!(master_key_rotation_needs_nothing, |s: Server| async move {
    let mut s = s;
    let (user, token, _) = owner(&s, cfg()).await;
    let l = lease(&s, &token, "use", 3600).await;
    let v1 = seal_state(&l.state_key, &user, 1, &state_json("survives"));
    assert_eq!(put(&s, &token, &l, &v1, 0).await.0, StatusCode::CREATED);
    s.kill();
    let old = s.dir.path().join("master.key");
    let new = s.dir.path().join("master2.key");
    std::fs::write(&new, sealvault::encoding::b64_encode(&[43u8; 32])).unwrap();
    let member = |id: &str, path: &std::path::Path, active: bool| {
        format!(
            "[[master_keys]]\nid = \"{id}\"\nprovider = \"file\"\npath = \"{}\"\nactive = {active}\n",
            path.display()
        )
    };
    let both = s.dir.path().join("both.toml");
    std::fs::write(
        &both,
        member("default", &old, false) + &member("mk2", &new, true),
    )
    .unwrap();
    let only_new = s.dir.path().join("new.toml");
    std::fs::write(&only_new, member("mk2", &new, true)).unwrap();
    let out = s
        .command(&["rotate-master-key"])
        .env_remove("SEALVAULT_MASTER_KEY_FILE")
        .env("SEALVAULT_CONFIG", &both)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.extra_env = vec![
        ("SEALVAULT_MASTER_KEY_FILE".into(), String::new()),
        ("SEALVAULT_CONFIG".into(), only_new.display().to_string()),
    ];
    s.spawn();
    // The state is untouched and its state key unchanged: the master key
    // only wraps the data key the state key derives from.
    assert_eq!(stored(&s, &token, &l.secret).await, (v1.clone(), 1));
    let l2 = lease(&s, &token, "use", 600).await;
    assert_eq!(l2.state_key, l.state_key);
    assert_eq!(
        open_state(&l2.state_key, &user, 1, &v1),
        state_json("survives")
    );
    let v2 = seal_state(&l2.state_key, &user, 2, &state_json("after"));
    assert_eq!(put(&s, &token, &l2, &v2, 1).await.0, StatusCode::OK);
});

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
use sealvault_server::clock::ManualClock;
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

//! Data-key rotation under stress: racing ingests, many credentials then
//! leased access, and SIGKILL at random points during a rotation (the
//! database must hold the old state or the new, never a mix).
//!
//! `SEALVAULT_CRASH_ITERATIONS` (default 20) and `SEALVAULT_CRASH_ITEMS`
//! (default 2000) size the crash test.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ALL_SCOPES, Db, Server, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use sealvault::{DataKey, ItemInfo, open};
use serde_json::{Value, json};
use sqlx::{Connection, Row};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates `n` credentials `item-0..n` concurrently.
async fn fill(s: &Arc<Server>, user: &str, token: &str, dk: &DataKey, n: usize) {
    let cfg = json!({"name": "x"});
    let bodies: Vec<(String, Value)> = (0..n)
        .map(|i| {
            let item = format!("item-{i}");
            let body = put_body(&seal_cred(dk, user, &item, 1, &cfg, "p"), None, &cfg, 0);
            (item, body)
        })
        .collect();
    let chunks: Vec<Vec<(String, Value)>> = bodies
        .chunks(n.div_ceil(8).max(1))
        .map(|c| c.to_vec())
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (s, token) = (s.clone(), token.to_owned());
            tokio::spawn(async move {
                for (item, body) in chunk {
                    let (status, e) = s
                        .call(
                            Method::PUT,
                            &format!("/v1/credentials/{item}"),
                            Some(&token),
                            Some(body),
                        )
                        .await;
                    assert_eq!(status, StatusCode::CREATED, "{e}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// `(item_id, key_id, envelope)` of every live credential, read from the database.
async fn stored(s: &Server) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let sql =
        "SELECT item_id, key_id, envelope FROM credentials WHERE deleted = 0 ORDER BY item_id";
    let rows: Vec<(String, Vec<u8>, Vec<u8>)> = match s.db {
        Db::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            rows.iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
    };
    rows
}

/// Every credential is under exactly the current key and opens with it.
async fn check_all(s: &Server, user: &str, token: &str, n: usize) -> DataKey {
    let dk = s.current_key(token).await;
    let rows = stored(s).await;
    assert_eq!(rows.len(), n);
    let cfg = json!({"name": "x"});
    for (item, key_id, envelope) in &rows {
        assert_eq!(
            key_id.as_slice(),
            dk.key_id().as_bytes(),
            "{item} not under the current key"
        );
        let version = sealvault::inspect(envelope)
            .unwrap()
            .context
            .get("sv:version")
            .unwrap()
            .parse()
            .unwrap();
        open(
            &dk,
            envelope,
            &ItemInfo::credential(user, item, version, &cfg)
                .context()
                .unwrap(),
        )
        .unwrap();
    }
    for i in (0..n).step_by((n / 10).max(1)) {
        let (status, got) = s
            .call(
                Method::GET,
                &format!("/v1/credentials/item-{i}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got["key_id"], dk.key_id().to_hex());
    }
    dk
}

async fn rotate(s: &Server, token: &str, expected: &DataKey) -> (StatusCode, Value) {
    s.call(
        Method::POST,
        "/v1/keys/rotate",
        Some(token),
        Some(json!({"expected_key_id": expected.key_id()})),
    )
    .await
}

both_dbs!(rotation_races_ingest, |s: Server| async move {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let s = Arc::new(s);
    fill(&s, &user, &token, &dk, 40).await;
    // Writers update every item while a rotation runs; on stale_data_key they refetch and re-seal.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (s, user, token) = (s.clone(), user.clone(), token.clone());
            tokio::spawn(async move {
                let cfg = json!({"name": "x"});
                for i in (w..40).step_by(4) {
                    let item = format!("item-{i}");
                    let mut key = s.current_key(&token).await;
                    loop {
                        let body =
                            put_body(&seal_cred(&key, &user, &item, 2, &cfg, "p2"), None, &cfg, 1);
                        let (status, e) = s
                            .call(
                                Method::PUT,
                                &format!("/v1/credentials/{item}"),
                                Some(&token),
                                Some(body),
                            )
                            .await;
                        match status {
                            StatusCode::OK => break,
                            StatusCode::CONFLICT if e["error"]["code"] == "stale_data_key" => {
                                key = s.current_key(&token).await
                            }
                            other => panic!("{other}: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, rot) = rotate(&s, &token, &dk).await;
    assert_eq!(status, StatusCode::OK, "{rot}");
    for w in writers {
        w.await.unwrap();
    }
    check_all(&s, &user, &token, 40).await;
});

both_dbs!(
    rotate_many_then_leased_access,
    config = "[limits]\naccess_per_minute = 0\n",
    |s: Server| async move {
        let (user, token) = s.user_with(ALL_SCOPES, None).await;
        let dk = s.data_key(&token).await;
        let s = Arc::new(s);
        let n = env_usize("SEALVAULT_ROTATE_ITEMS", 1000);
        fill(&s, &user, &token, &dk, n).await;
        let started = Instant::now();
        let (status, rot) = rotate(&s, &token, &dk).await;
        assert_eq!(
            (status, rot["reencrypted"].as_u64()),
            (StatusCode::OK, Some(n as u64)),
            "{rot}"
        );
        eprintln!(
            "rotated {n} credentials in {:?} ({:?})",
            started.elapsed(),
            s.db
        );
        let dk2 = check_all(&s, &user, &token, n).await;
        let cfg = json!({"name": "x"});
        for i in 0..n {
            let item = format!("item-{i}");
            let (status, grant) = s
                .call(
                    Method::POST,
                    &format!("/v1/credentials/{item}/sessions"),
                    Some(&token),
                    Some(json!({"purpose": "login"})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{grant}");
            let lt = grant["lease_token"].as_str().unwrap();
            assert_eq!(grant["state_key_id"], dk2.key_id().to_hex());
            let (status, acc) = s
                .call_h(
                    Method::POST,
                    &format!("/v1/credentials/{item}/access"),
                    Some(&token),
                    &[("x-lease-token", lt)],
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{acc}");
            let ek =
                sealvault::EnvelopeKey::from_api(acc["envelope_key"].as_str().unwrap()).unwrap();
            let env = sealvault::encoding::b64_decode(acc["envelope"].as_str().unwrap()).unwrap();
            let info = ItemInfo::credential(&user, &item, 1, &cfg);
            sealvault::open_with_envelope_key(&ek, &env, &info.context().unwrap()).unwrap();
        }
    }
);

both_dbs!(crash_during_rotation, |s: Server| async move {
    let mut s = s;
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let mut dk = s.data_key(&token).await;
    let n = env_usize("SEALVAULT_CRASH_ITEMS", 2000);
    let iterations = env_usize("SEALVAULT_CRASH_ITERATIONS", 20);
    let shared = Arc::new(s);
    fill(&shared, &user, &token, &dk, n).await;
    s = Arc::try_unwrap(shared).ok().unwrap();
    // One full rotation sets the time scale of the kills.
    let started = Instant::now();
    assert_eq!(rotate(&s, &token, &dk).await.0, StatusCode::OK);
    let full = started.elapsed();
    dk = check_all(&s, &user, &token, n).await;
    let (mut old_state, mut new_state) = (0, 0);
    for _ in 0..iterations {
        let base = s.base.clone();
        let client = s.client.clone();
        let (token2, expected) = (token.clone(), dk.key_id());
        let request = tokio::spawn(async move {
            client
                .post(format!("{base}/v1/keys/rotate"))
                .bearer_auth(token2)
                .json(&json!({"expected_key_id": expected}))
                .send()
                .await
        });
        let delay = full.mul_f64(rand::random::<f64>() * 1.2);
        tokio::time::sleep(delay).await;
        s.kill();
        let _ = request.await;
        s.spawn();
        let after = check_all(&s, &user, &token, n).await;
        if after.key_id() == dk.key_id() {
            old_state += 1
        } else {
            new_state += 1
        }
        dk = after;
    }
    eprintln!(
        "crash test ({:?}): {old_state} killed before commit, {new_state} after; full rotation {full:?}",
        s.db
    );
});

/// Each of the `n` credentials `item-0..n` opens, fetched by its owner,
/// with `dk`.
async fn opens_all(s: &Server, user: &str, token: &str, dk: &DataKey, n: usize) {
    let cfg = json!({"name": "x"});
    for i in 0..n {
        let item = format!("item-{i}");
        let (status, got) = s
            .call(
                Method::GET,
                &format!("/v1/credentials/{item}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["key_id"], dk.key_id().to_hex());
        let envelope = sealvault::encoding::b64_decode(got["envelope"].as_str().unwrap()).unwrap();
        let info = ItemInfo::credential(user, &item, 1, &cfg);
        open(dk, &envelope, &info.context().unwrap()).unwrap();
    }
}

/// `sealvault-server rotate-data-keys [--user ID]`: `(success, stdout, stderr)`.
fn rotate_verb(s: &Server, args: &[&str]) -> (bool, String, String) {
    let out = s
        .command(&[&["rotate-data-keys"], args].concat())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

both_dbs!(rotate_data_keys_verb, |s: Server| async move {
    let s = Arc::new(s);
    let n = 25;
    let mut users = Vec::new();
    for _ in 0..2 {
        let (user, token) = s.user_with(ALL_SCOPES, None).await;
        let dk = s.data_key(&token).await;
        fill(&s, &user, &token, &dk, n).await;
        users.push((user, token, dk));
    }
    // Every user's key, while the server runs.
    let (ok, stdout, stderr) = rotate_verb(&s, &[]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "rotated the data keys of 2 users ({} envelopes re-sealed)",
            2 * n
        )),
        "{stdout}"
    );
    let mut keys = Vec::new();
    for (user, token, old) in &users {
        let dk = s.current_key(token).await;
        assert_ne!(dk.key_id(), old.key_id());
        opens_all(&s, user, token, &dk, n).await;
        keys.push(dk);
    }
    // One user's key only.
    let (ok, stdout, stderr) = rotate_verb(&s, &["--user", &users[0].0]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!("of 1 users ({n} envelopes re-sealed)")),
        "{stdout}"
    );
    let dk0 = s.current_key(&users[0].1).await;
    assert_ne!(dk0.key_id(), keys[0].key_id());
    opens_all(&s, &users[0].0, &users[0].1, &dk0, n).await;
    assert_eq!(s.current_key(&users[1].1).await.key_id(), keys[1].key_id());
    // A user without a data key is an error.
    let (ok, _, stderr) = rotate_verb(&s, &["--user", "usr_missing"]);
    assert!(!ok);
    assert!(stderr.contains("has no data key"), "{stderr}");
    // Rotation was audited as the user, with no token.
    let (_, audit) = s
        .call(Method::GET, "/v1/audit", Some(common::ADMIN_TOKEN), None)
        .await;
    let rotations = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "key.rotate")
        .count();
    assert_eq!(rotations, 3);
});

/// `sealvault_data_key_cache_hits_total` from `/metrics`.
async fn cache_hits(s: &Server) -> u64 {
    let (_, text) = s.call_text(Method::GET, "/metrics", None, &[], None).await;
    text.lines()
        .find_map(|l| l.strip_prefix("sealvault_data_key_cache_hits_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cache-hit counter in:\n{text}"))
}

async fn put(s: &Server, token: &str, item: &str, envelope: &[u8]) -> (StatusCode, Value) {
    let cfg = json!({"name": "x"});
    s.call(
        Method::PUT,
        &format!("/v1/credentials/{item}"),
        Some(token),
        Some(put_body(envelope, None, &cfg, 0)),
    )
    .await
}

// The key cache still holds the old key after another process (the
// `rotate-data-keys` verb, as a replica would) rotated it: ingest under the
// old key is `stale_data_key` with nothing stored — a forged envelope too,
// not its tag error — and the new key works at once.
both_dbs!(
    key_cache_behind_a_rotation_elsewhere,
    |s: Server| async move {
        let (user, token) = s.user_with(ALL_SCOPES, None).await;
        let old = s.data_key(&token).await;
        let cfg = json!({"name": "x"});
        let seal = |dk: &DataKey, item: &str| seal_cred(dk, &user, item, 1, &cfg, "p");
        assert_eq!(
            put(&s, &token, "a", &seal(&old, "a")).await.0,
            StatusCode::CREATED
        );
        let before = cache_hits(&s).await;
        assert_eq!(
            put(&s, &token, "b", &seal(&old, "b")).await.0,
            StatusCode::CREATED
        );
        assert!(
            cache_hits(&s).await > before,
            "ingest did not use the cache"
        );

        let (ok, _, stderr) = rotate_verb(&s, &["--user", &user]);
        assert!(ok, "{stderr}");
        let before = cache_hits(&s).await;
        let (status, e) = put(&s, &token, "c", &seal(&old, "c")).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("stale_data_key"))
        );
        assert!(cache_hits(&s).await > before, "the old key was not cached");
        let mut forged = seal(&old, "d");
        *forged.last_mut().unwrap() ^= 1;
        let (status, e) = put(&s, &token, "d", &forged).await;
        assert_eq!(
            (status, e["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("stale_data_key"))
        );
        for item in ["c", "d"] {
            let path = format!("/v1/credentials/{item}");
            let (status, _) = s.call(Method::GET, &path, Some(&token), None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{item} was stored");
        }

        let new = s.current_key(&token).await;
        assert_ne!(new.key_id(), old.key_id());
        assert_eq!(
            put(&s, &token, "c", &seal(&new, "c")).await.0,
            StatusCode::CREATED
        );
        let (_, got) = s
            .call(Method::GET, "/v1/credentials/c", Some(&token), None)
            .await;
        assert_eq!(got["key_id"], new.key_id().to_hex());
    }
);

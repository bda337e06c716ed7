//! The Rust SDK client (`sealvault::client`, features `client` and
//! `blocking`) against a real `sealvault-server` process, on SQLite and on
//! PostgreSQL: every route, the stale-key retry, compare-and-set, tombstone
//! re-create, the lease guard, and typed errors.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use common::{ADMIN_TOKEN, ALL_SCOPES, Server};
use sealvault::Totp;
use sealvault::client::{Client, ClientError, Credential, Purpose, SessionOptions, blocking};
use sealvault::totp::{Algorithm, Secret};
use sealvault::wire::{CreateToken, ErrorCode, LeasePhase, Scope};
use serde_json::{Value, json};

fn scopes(names: &[&str]) -> Vec<Scope> {
    names
        .iter()
        .map(|n| serde_json::from_value(json!(n)).unwrap())
        .collect()
}

/// An owner client (all user scopes) on a fresh user with a data key.
async fn owner(s: &Server) -> Client {
    let (_, token) = s.user_with(ALL_SCOPES, None).await;
    let owner = Client::new(&s.base, &token).unwrap();
    owner.create_data_key().await.unwrap();
    owner
}

fn acme(concurrency: Value) -> Value {
    json!({"name": "acme", "login_url": "https://portal.acme.test/login",
           "tfa": {"method": "AUTHENTICATOR"}, "concurrency": concurrency})
}

fn totp() -> Totp {
    Totp::new(
        Secret::from_bytes(&[42u8; 20]).unwrap(),
        Algorithm::Sha1,
        6,
        30,
    )
    .unwrap()
}

fn code(e: &ClientError) -> (Option<u16>, String) {
    (e.status(), e.code().to_owned())
}

both_dbs!(every_route, |s: Server| async move {
    let admin = Client::new(&s.base, ADMIN_TOKEN).unwrap();
    assert_eq!(admin.healthz().await.unwrap()["status"], "ok");
    assert!(admin.meta().await.unwrap().limits.credential_body_bytes > 0);
    assert!(admin.openapi().await.unwrap()["paths"].is_object());
    let user = admin.create_user("alice").await.unwrap();
    let minted = admin
        .create_token(
            &user.id,
            &CreateToken {
                name: "owner".into(),
                scopes: scopes(ALL_SCOPES),
                items: None,
                ttl_secs: None,
            },
        )
        .await
        .unwrap();
    let spare = admin
        .create_token(
            &user.id,
            &CreateToken {
                name: "spare".into(),
                scopes: scopes(&["sessions"]),
                items: Some(vec!["acme".into()]),
                ttl_secs: Some(60),
            },
        )
        .await
        .unwrap();
    assert_eq!(admin.list_tokens(&user.id).await.unwrap().len(), 2);
    admin.revoke_token(&user.id, &spare.id).await.unwrap();
    let revoked = Client::new(&s.base, spare.token.expose_secret()).unwrap();
    assert_eq!(
        code(&revoked.me().await.unwrap_err()),
        (Some(401), "unauthorized".into())
    );

    let owner = Client::new(&s.base, minted.token.expose_secret()).unwrap();
    let me = owner.me().await.unwrap();
    assert_eq!(me.user_id.as_deref(), Some(user.id.as_str()));
    let key = owner.create_data_key().await.unwrap();
    assert_eq!(
        code(&owner.create_data_key().await.unwrap_err()),
        (Some(409), "data_key_exists".into())
    );
    assert_eq!(owner.current_data_key().await.unwrap(), key);

    let config = acme(json!({"allow_multiple": true}));
    let cred =
        Credential::new("alice", "pw-canary-5be07c1e").with_field("pin", "pin-canary-93f1c2d8");
    let written = owner
        .put_credential("acme", &cred, Some(&totp()), &config)
        .await
        .unwrap();
    assert_eq!((written.version, written.key_id), (1, key.key_id()));
    let listed = owner.list_credentials().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].config, config);
    let detail = owner.get_credential("acme").await.unwrap();
    assert!(detail.totp_envelope.is_some());

    let session = owner.session("acme", Purpose::Login).await.unwrap();
    assert_eq!(session.phase(), LeasePhase::Login);
    let opened = session.access().await.unwrap();
    assert_eq!(opened, cred);
    opened.check_origin("https://portal.acme.test/x").unwrap();
    assert!(opened.check_origin("https://evil.test/").is_err());
    let one_time = session.totp(0).await.unwrap();
    let now = sealvault_server::now();
    assert!(
        totp()
            .verify(one_time.code.expose_secret(), now, 1)
            .unwrap()
            .is_some()
    );
    // The guard's redactor knows the password, the fields and the code.
    let line = format!(
        "typed {} then {} (form: password={})",
        opened.password.expose_secret(),
        one_time.code.expose_secret(),
        opened.password.expose_secret().replace(' ', "+")
    );
    let clean = session.redact(&line);
    assert!(!clean.contains(opened.password.expose_secret()), "{clean}");
    assert!(!clean.contains(one_time.code.expose_secret()), "{clean}");
    for value in opened.fields.values() {
        assert_eq!(session.redact(value.expose_secret()), "[REDACTED]");
    }
    assert_eq!(session.redact("nothing secret"), "nothing secret");
    session.heartbeat().await.unwrap();
    session.login_complete().await.unwrap();
    assert_eq!(session.phase(), LeasePhase::Active);
    assert_eq!(
        code(&session.access().await.unwrap_err()),
        (Some(409), "lease_required".into())
    );
    assert_eq!(session.state_key_id(), key.key_id());
    session.release().await.unwrap();

    let rotated = owner.rotate_data_key(key.key_id()).await.unwrap();
    assert_eq!(rotated.reencrypted, 2);
    assert_ne!(owner.data_key().await.unwrap().key_id(), key.key_id());
    owner.delete_credential("acme", 1).await.unwrap();
    assert!(owner.list_credentials().await.unwrap().is_empty());
    let actions: Vec<String> = owner
        .audit()
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(
        actions.iter().any(|a| a == "credential.access"),
        "{actions:?}"
    );
    assert!(admin.metrics().await.unwrap().contains("sealvault_"));
    let logs = s.logs();
    for secret in [
        "pw-canary-5be07c1e",
        "pin-canary-93f1c2d8",
        minted.token.expose_secret(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the server log");
    }
});

both_dbs!(stale_key_retry, |s: Server| async move {
    let owner = owner(&s).await;
    let config = acme(json!({}));
    owner
        .put_credential("one", &Credential::new("a", "b"), None, &config)
        .await
        .unwrap();
    // Another client of the same user rotates behind the owner's cached key.
    let other = Client::new(&s.base, &owner_token(&s, &owner).await).unwrap();
    let old = other.current_data_key().await.unwrap().key_id();
    let new = other.rotate_data_key(old).await.unwrap().key_id;
    let written = owner
        .put_credential("two", &Credential::new("a", "b"), None, &config)
        .await
        .unwrap();
    assert_eq!((written.version, written.key_id), (1, new));
});

/// A second token of the owner's user.
async fn owner_token(s: &Server, owner: &Client) -> String {
    let user = owner.user_id().await.unwrap();
    s.token(&user, ALL_SCOPES, None).await
}

both_dbs!(compare_and_set_and_tombstone, |s: Server| async move {
    let owner = owner(&s).await;
    let config = acme(json!({}));
    let v1 = Credential::new("alice", "one");
    owner
        .put_credential("acme", &v1, None, &config)
        .await
        .unwrap();
    let err = owner
        .put_credential("acme", &v1, None, &config)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::VersionConflict));
    assert_eq!(err.api().unwrap().current_version, Some(1));
    let v2 = owner
        .replace_credential("acme", 1, &Credential::new("alice", "two"), None, &config)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let stale = owner
        .replace_credential("acme", 1, &v1, None, &config)
        .await
        .unwrap_err();
    assert_eq!(stale.api().unwrap().current_version, Some(2));
    owner.delete_credential("acme", 2).await.unwrap();
    let again = owner
        .put_credential("acme", &Credential::new("alice", "three"), None, &config)
        .await
        .unwrap();
    assert_eq!(again.version, 3, "re-created from the tombstone's version");
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    assert_eq!(
        session.access().await.unwrap().password.expose_secret(),
        "three"
    );
});

/// Acquires `acme` (one lease at most) waiting up to 10 s: only succeeds
/// quickly if the previous holder released (the TTL is 60 s).
async fn reacquire(owner: &Client) -> Result<(), ClientError> {
    let mut options = SessionOptions::new(Purpose::Use);
    options.wait = Duration::from_secs(10);
    owner.session_with("acme", options).await?.release().await
}

both_dbs!(lease_guard_releases, |s: Server| async move {
    let owner = owner(&s).await;
    owner
        .put_credential(
            "acme",
            &Credential::new("a", "b"),
            None,
            &acme(json!({"allow_multiple": false})),
        )
        .await
        .unwrap();
    // Held: a second acquire without waiting is refused.
    let held = owner.session("acme", Purpose::Use).await.unwrap();
    let mut no_wait = SessionOptions::new(Purpose::Use);
    no_wait.wait = Duration::ZERO;
    let refused = owner.session_with("acme", no_wait).await.unwrap_err();
    assert_eq!(code(&refused), (Some(409), "concurrency_limit".into()));
    // Dropped: released in the background.
    drop(held);
    reacquire(&owner).await.unwrap();
    // A task that panics while holding the guard releases it too.
    let task_owner = owner.clone();
    let panicked = tokio::spawn(async move {
        let _guard = task_owner.session("acme", Purpose::Use).await.unwrap();
        panic!("agent crashed mid-run");
    })
    .await;
    assert!(panicked.is_err());
    reacquire(&owner).await.unwrap();
    // The blocking client releases synchronously on drop, also on panic.
    let (base, token) = (s.base.clone(), owner_token(&s, &owner).await);
    let thread = std::thread::spawn(move || {
        let blocking = blocking::Client::new(&base, &token).unwrap();
        let _guard = blocking.session("acme", Purpose::Use).unwrap();
        panic!("blocking agent crashed");
    });
    assert!(thread.join().is_err());
    reacquire(&owner).await.unwrap();
});

both_dbs!(heartbeat_keeps_the_lease, |s: Server| async move {
    let owner = owner(&s).await;
    owner
        .put_credential(
            "acme",
            &Credential::new("a", "b"),
            None,
            &acme(json!({"allow_multiple": false})),
        )
        .await
        .unwrap();
    let mut options = SessionOptions::new(Purpose::Login);
    options.ttl = Some(Duration::from_secs(3));
    let session = owner.session_with("acme", options).await.unwrap();
    let first_expiry = session.expires_at();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(session.lost().is_none());
    assert!(
        session.expires_at() > first_expiry,
        "the background heartbeat renewed it"
    );
    session.access().await.unwrap();
    session.release().await.unwrap();
});

both_dbs!(typed_errors, |s: Server| async move {
    let owner = owner(&s).await;
    let config = acme(json!({"allow_multiple": true, "prevent_concurrency_during_login": true}));
    owner
        .put_credential("acme", &Credential::new("a", "b"), None, &config)
        .await
        .unwrap();

    let stranger = Client::new(&s.base, "not-a-token-at-all-0123456789").unwrap();
    assert_eq!(
        code(&stranger.me().await.unwrap_err()),
        (Some(401), "unauthorized".into())
    );
    let user = owner.user_id().await.unwrap();
    let agent = Client::new(
        &s.base,
        &s.token(&user, &["secrets:access", "sessions"], Some(vec!["acme"]))
            .await,
    )
    .unwrap();
    let forbidden = agent.get_credential("acme").await.unwrap_err();
    assert_eq!(code(&forbidden), (Some(403), "forbidden".into()));
    assert_eq!(
        code(&agent.session("other", Purpose::Login).await.unwrap_err()),
        (Some(404), "not_found".into())
    );
    assert_eq!(
        code(&owner.get_credential("missing").await.unwrap_err()),
        (Some(404), "not_found".into())
    );
    let conflict = owner
        .put_credential("acme", &Credential::new("a", "b"), None, &config)
        .await
        .unwrap_err();
    assert_eq!(code(&conflict), (Some(409), "version_conflict".into()));
    let huge = Credential::new("a", "b").with_field("blob", "x".repeat(70 * 1024));
    let too_large = owner
        .put_credential("big", &huge, None, &config)
        .await
        .unwrap_err();
    assert_eq!(code(&too_large), (Some(413), "payload_too_large".into()));
    let _login = owner.session("acme", Purpose::Login).await.unwrap();
    let mut no_wait = SessionOptions::new(Purpose::Login);
    no_wait.wait = Duration::ZERO;
    let locked = agent.session_with("acme", no_wait).await.unwrap_err();
    assert_eq!(code(&locked), (Some(423), "login_in_progress".into()));
    // Locally: an invalid item id never leaves the client.
    let bad = owner.get_credential("../admin").await.unwrap_err();
    assert_eq!(code(&bad), (None, "invalid_request".into()));
    // Nothing listens: a transport error, not sent, after the retries.
    let closed = Client::builder("http://127.0.0.1:9", "t")
        .max_retries(1)
        .build()
        .unwrap();
    let down = closed.meta().await.unwrap_err();
    assert!(
        matches!(down, ClientError::Transport { sent: false, .. }),
        "{down:?}"
    );
});

both_dbs!(
    sdk_catches_a_config_changed_in_the_database,
    |s: Server| async move {
        let owner = owner(&s).await;
        owner
            .put_credential("acme", &Credential::new("a", "b"), None, &acme(json!({})))
            .await
            .unwrap();
        // A database writer points the login URL elsewhere; the vault hands the
        // altered config out, the SDK compares it with the sealed `sv:config`.
        let evil = r#"{"name":"acme","login_url":"https://evil.test/login"}"#;
        let sql = "UPDATE credentials SET config = $1 WHERE item_id = 'acme'";
        match s.db {
            common::Db::Sqlite => {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
                    .await
                    .unwrap();
                sqlx::query(sql)
                    .bind(evil)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            common::Db::Postgres => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
                sqlx::query(sql)
                    .bind(evil)
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
        let session = owner.session("acme", Purpose::Login).await.unwrap();
        let refused = session.access().await.unwrap_err();
        assert_eq!(code(&refused), (None, "context_mismatch".into()));
    }
);

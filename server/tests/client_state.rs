//! The Rust SDK's session-state calls (`Session::save_state`, `load_state`,
//! `delete_state`) against a real `sealvault-server` process, on SQLite and
//! on PostgreSQL: round trip, persistence flags, cookie-expiry hint,
//! fencing, version conflicts, and the stale-key retry after a rotation.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{ALL_SCOPES, Server};
use sealvault::BrowserState;
use sealvault::client::{Client, Credential, Purpose, SessionOptions, blocking};
use sealvault::wire::ErrorCode;
use serde_json::{Value, json};

/// An owner client on a fresh user with a data key and credential `acme`.
async fn owner_with(s: &Server, config: Value) -> Client {
    let (_, token) = s.user_with(ALL_SCOPES, None).await;
    let owner = Client::new(&s.base, &token).unwrap();
    owner.create_data_key().await.unwrap();
    owner
        .put_credential("acme", &Credential::new("alice", "pw"), None, &config)
        .await
        .unwrap();
    owner
}

fn config(extra: Value) -> Value {
    let mut config = json!({"name": "acme", "login_url": "http://acme.test/login"});
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    config
}

/// A state with a session cookie, a persistent one, localStorage,
/// sessionStorage and a field Playwright may add.
fn sample(persistent_expiry: f64) -> BrowserState {
    BrowserState::from_value(json!({
        "cookies": [
            {"name": "sid", "value": "cookie-secret", "domain": "acme.test", "path": "/",
             "expires": -1, "httpOnly": true, "secure": false, "sameSite": "Lax"},
            {"name": "keep", "value": "persistent", "domain": "acme.test", "path": "/",
             "expires": persistent_expiry, "httpOnly": false, "secure": false,
             "sameSite": "Strict", "partitionKey": "http://acme.test"}
        ],
        "origins": [{"origin": "http://acme.test",
                     "localStorage": [{"name": "ls", "value": "local-secret"}],
                     "sessionStorage": [{"name": "ss", "value": "session-secret"}]}]
    }))
    .unwrap()
}

fn all_flags() -> Value {
    json!({"session_persistence": {"cookies": true, "local_storage": true, "session_storage": true}})
}

both_dbs!(save_load_delete_round_trip, |s: Server| async move {
    let owner = owner_with(&s, config(all_flags())).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    assert!(
        session.load_state().await.unwrap().is_none(),
        "nothing saved yet"
    );
    let state = sample(4_000_000_000.0);
    let written = session.save_state(&state).await.unwrap();
    assert_eq!(written.version, 1);
    let loaded = session.load_state().await.unwrap().expect("saved");
    assert!(loaded == state, "every flag on: the state comes back whole");
    assert_eq!(loaded.cookies[1].extra["partitionKey"], "http://acme.test");
    // The next save continues from the version just read.
    assert_eq!(session.save_state(&loaded).await.unwrap().version, 2);
    session.release().await.unwrap();

    // A new lease (purpose use) that saves without loading learns the version.
    let user = owner.user_id().await.unwrap();
    let agent = Client::new(
        &s.base,
        &s.token(&user, &["sessions"], Some(vec!["acme"])).await,
    )
    .unwrap();
    let session = agent.session("acme", Purpose::Use).await.unwrap();
    assert_eq!(session.save_state(&state).await.unwrap().version, 3);
    session.delete_state().await.unwrap();
    assert!(session.load_state().await.unwrap().is_none(), "deleted");
    // Versions outlive the delete: the next save writes version 4.
    assert_eq!(session.save_state(&state).await.unwrap().version, 4);
});

both_dbs!(persistence_flags_are_honoured, |s: Server| async move {
    let flags = json!({"session_persistence": {"cookies": false, "local_storage": true,
                                               "session_storage": false}});
    let owner = owner_with(&s, config(flags)).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    session.save_state(&sample(4_000_000_000.0)).await.unwrap();
    let loaded = session.load_state().await.unwrap().expect("saved");
    assert!(loaded.cookies.is_empty(), "cookies off");
    let origin = loaded
        .origin("http://acme.test")
        .expect("localStorage kept");
    assert_eq!(origin.local_storage.len(), 1);
    assert_eq!(
        origin.local_storage[0].value.expose_secret(),
        "local-secret"
    );
    assert!(origin.session_storage.is_empty(), "sessionStorage off");

    // Defaults (no session_persistence): cookies and localStorage only.
    let owner = owner_with(&s, config(json!({}))).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    session.save_state(&sample(4_000_000_000.0)).await.unwrap();
    let loaded = session.load_state().await.unwrap().expect("saved");
    assert_eq!(loaded.cookies.len(), 2);
    assert!(loaded.origins[0].session_storage.is_empty());
});

both_dbs!(cookie_expiry_ends_the_state, |s: Server| async move {
    let follow = json!({"expiration": {"follow_cookie_expiry": true}});
    let owner = owner_with(&s, config(follow)).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    // The persistent cookie expires in 2 s: the vault drops the state then.
    let soon = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2) as f64;
    session.save_state(&sample(soon)).await.unwrap();
    assert!(session.load_state().await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(
        session.load_state().await.unwrap().is_none(),
        "expired with the cookie"
    );
    // Without the flag the same state outlives its cookie.
    let owner = owner_with(&s, config(json!({}))).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    session.save_state(&sample(soon)).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert!(session.load_state().await.unwrap().is_some());
});

both_dbs!(conflicts_are_reported_typed, |s: Server| async move {
    let owner = owner_with(&s, config(json!({}))).await;
    let older = owner.session("acme", Purpose::Use).await.unwrap();
    let newer = owner.session("acme", Purpose::Use).await.unwrap();
    assert!(older.load_state().await.unwrap().is_none());
    assert!(newer.load_state().await.unwrap().is_none());
    older.save_state(&sample(-1.0)).await.unwrap();
    // The newer lease read version 0: its save is a conflict, never an overwrite.
    let err = newer.save_state(&sample(-1.0)).await.unwrap_err();
    assert!(err.is(ErrorCode::VersionConflict), "{err:?}");
    assert_eq!(err.api().unwrap().current_version, Some(1));
    // Re-read, it saves; from then on the lower fencing token is refused.
    newer.load_state().await.unwrap().expect("older's state");
    assert_eq!(newer.save_state(&sample(-1.0)).await.unwrap().version, 2);
    let err = older.save_state(&sample(-1.0)).await.unwrap_err();
    assert!(err.is(ErrorCode::StaleFencingToken), "{err:?}");
    assert_eq!(err.status(), Some(409));
    let err = older.delete_state().await.unwrap_err();
    assert!(err.is(ErrorCode::StaleFencingToken), "{err:?}");
    assert!(
        newer.load_state().await.unwrap().is_some(),
        "nothing overwritten"
    );
});

both_dbs!(stale_key_retry_after_rotation, |s: Server| async move {
    let owner = owner_with(&s, config(all_flags())).await;
    // No background heartbeat: only the SDK's own retry learns the new key.
    let mut options = SessionOptions::new(Purpose::Login);
    options.heartbeat = false;
    let session = owner.session_with("acme", options).await.unwrap();
    session.save_state(&sample(-1.0)).await.unwrap();
    let old_key = session.state_key_id();
    let rotated = owner.rotate_data_key(old_key).await.unwrap();
    assert_ne!(rotated.key_id, old_key);
    // The state was re-sealed: loading opens it after a heartbeat.
    let loaded = session
        .load_state()
        .await
        .unwrap()
        .expect("re-sealed state");
    assert!(loaded == sample(-1.0));
    assert_eq!(session.state_key_id(), rotated.key_id);
    // Rotate again: the save under the old key gets stale_data_key and retries.
    owner.rotate_data_key(rotated.key_id).await.unwrap();
    let written = session.save_state(&loaded).await.unwrap();
    assert_ne!(written.key_id, rotated.key_id);
    assert_eq!(written.key_id, session.state_key_id());
});

both_dbs!(blocking_client_saves_and_loads, |s: Server| async move {
    let owner = owner_with(&s, config(all_flags())).await;
    let user = owner.user_id().await.unwrap();
    let token = s.token(&user, ALL_SCOPES, None).await;
    let base = s.base.clone();
    tokio::task::spawn_blocking(move || {
        let client = blocking::Client::new(&base, &token).unwrap();
        let session = client.session("acme", Purpose::Use).unwrap();
        assert_eq!(session.config()["name"], "acme");
        session.save_state(&sample(-1.0)).unwrap();
        assert!(session.load_state().unwrap().unwrap() == sample(-1.0));
        session.delete_state().unwrap();
        assert!(session.load_state().unwrap().is_none());
    })
    .await
    .unwrap();
});

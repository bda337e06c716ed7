//! Lease limits, login exclusivity, reclaim after TTL, long poll.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ALL_SCOPES, Server, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A user, a token and one credential with `concurrency`.
async fn setup(s: &Server, concurrency: Value) -> String {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = json!({"name": "acme", "concurrency": concurrency});
    let body = put_body(&seal_cred(&dk, &user, "acme", 1, &cfg, "p"), None, &cfg, 0);
    assert_eq!(
        s.call(
            Method::PUT,
            "/v1/credentials/acme",
            Some(&token),
            Some(body)
        )
        .await
        .0,
        StatusCode::CREATED
    );
    token
}

async fn acquire(
    s: &Server,
    token: &str,
    purpose: &str,
    ttl: u64,
    wait: u64,
) -> (StatusCode, Value) {
    let body = json!({"purpose": purpose, "ttl_secs": ttl, "wait_secs": wait});
    s.call(
        Method::POST,
        "/v1/credentials/acme/sessions",
        Some(token),
        Some(body),
    )
    .await
}

async fn release(s: &Server, token: &str, grant: &Value) -> StatusCode {
    let sid = grant["session_id"].as_str().unwrap();
    let lt = grant["lease_token"].as_str().unwrap();
    s.call_h(
        Method::DELETE,
        &format!("/v1/sessions/{sid}"),
        Some(token),
        &[("x-lease-token", lt)],
        None,
    )
    .await
    .0
}

async fn concurrent_grants(s: Arc<Server>, token: &str, n: usize) -> (Vec<Value>, Vec<Value>) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (s, token) = (s.clone(), token.to_owned());
            tokio::spawn(async move { acquire(&s, &token, "use", 60, 0).await })
        })
        .collect();
    let (mut granted, mut refused) = (Vec::new(), Vec::new());
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == StatusCode::CREATED {
            granted.push(body)
        } else {
            refused.push(body)
        }
    }
    (granted, refused)
}

both_dbs!(limit_under_concurrency, |s: Server| async move {
    let token = setup(&s, json!({"allow_multiple": true, "max_concurrent": 3})).await;
    let s = Arc::new(s);
    let (granted, refused) = concurrent_grants(s.clone(), &token, 12).await;
    assert_eq!(granted.len(), 3, "refused: {refused:?}");
    assert!(
        refused
            .iter()
            .all(|e| e["error"]["code"] == "concurrency_limit"),
        "{refused:?}"
    );
    let mut fencing: Vec<u64> = granted
        .iter()
        .map(|g| g["fencing_token"].as_u64().unwrap())
        .collect();
    fencing.sort();
    fencing.dedup();
    assert_eq!(fencing.len(), 3);
    assert_eq!(
        release(&s, &token, &granted[0]).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        acquire(&s, &token, "use", 60, 0).await.0,
        StatusCode::CREATED
    );
});

both_dbs!(single_when_not_multiple, |s: Server| async move {
    let token = setup(&s, json!({"allow_multiple": false})).await;
    let (granted, _) = concurrent_grants(Arc::new(s), &token, 6).await;
    assert_eq!(granted.len(), 1);
});

both_dbs!(login_exclusivity, |s: Server| async move {
    let token = setup(&s, json!({"prevent_concurrency_during_login": true})).await;
    let (status, login) = acquire(&s, &token, "login", 60, 0).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, e) = acquire(&s, &token, "use", 60, 0).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::LOCKED, Some("login_in_progress"))
    );
    let sid = login["session_id"].as_str().unwrap();
    let lt = login["lease_token"].as_str().unwrap();
    let path = format!("/v1/sessions/{sid}/login-complete");
    assert_eq!(
        s.call_h(
            Method::POST,
            &path,
            Some(&token),
            &[("x-lease-token", lt)],
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, _) = acquire(&s, &token, "use", 60, 0).await;
    assert_eq!(status, StatusCode::CREATED);
    // A login is not granted while any lease is open.
    let (status, e) = acquire(&s, &token, "login", 60, 0).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("concurrency_limit"))
    );
});

both_dbs!(reclaim_after_ttl_not_before, |s: Server| async move {
    let token = setup(&s, json!({"allow_multiple": false})).await;
    let (status, _) = acquire(&s, &token, "use", 2, 0).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        acquire(&s, &token, "use", 2, 0).await.0,
        StatusCode::CONFLICT
    );
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        acquire(&s, &token, "use", 2, 0).await.0,
        StatusCode::CREATED
    );
});

both_dbs!(long_poll_gets_the_freed_slot, |s: Server| async move {
    let token = setup(&s, json!({"allow_multiple": false})).await;
    let (_, first) = acquire(&s, &token, "use", 60, 0).await;
    let s = Arc::new(s);
    let waiter = {
        let (s, token) = (s.clone(), token.clone());
        tokio::spawn(async move { acquire(&s, &token, "use", 60, 10).await })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    // A newcomer that does not wait does not jump the queue.
    assert_eq!(
        acquire(&s, &token, "use", 60, 0).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(release(&s, &token, &first).await, StatusCode::NO_CONTENT);
    let (status, grant) = waiter.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{grant}");
});

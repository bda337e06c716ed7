//! The Rust SDK's `Session::resolve_proxy` against a real `sealvault-server`
//! process with a two-member proxy pool, on SQLite and on PostgreSQL:
//! the credential's sticky member, the workflow proxy, none, and
//! `proxy_unavailable` when every member is out of rotation.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::net::TcpListener;
use std::sync::LazyLock;

use common::{ADMIN_TOKEN, ALL_SCOPES, Server};
use reqwest::{Method, StatusCode};
use sealvault::client::{Client, Credential, Purpose, blocking};
use sealvault::wire::{ErrorCode, ProxySource, SecretString, WorkflowProxy};
use serde_json::{Value, json};

/// Two listening sockets standing in for the proxies, so their TCP checks
/// pass; kept for the life of the test binary.
static UPSTREAMS: LazyLock<[TcpListener; 2]> = LazyLock::new(|| {
    [
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    ]
});

/// `par-1` exits in 198.51.100.0/24, `tyo-1` in 203.0.113.0/24.
fn pool() -> String {
    let port = |i: usize| UPSTREAMS[i].local_addr().unwrap().port();
    format!(
        "[[proxies]]\nid = \"par-1\"\nurl = \"http://agent:pw-par@127.0.0.1:{}\"\nip = \"198.51.100.10\"\n\n\
         [[proxies]]\nid = \"tyo-1\"\nurl = \"http://agent:pw-tyo@127.0.0.1:{}\"\nip = \"203.0.113.10\"\n",
        port(0),
        port(1)
    )
}

/// An owner client with credential `acme` under `proxy` config.
async fn owner_with(s: &Server, proxy: Value) -> (Client, String) {
    let (_, token) = s.user_with(ALL_SCOPES, None).await;
    let owner = Client::new(&s.base, &token).unwrap();
    owner.create_data_key().await.unwrap();
    let config = json!({"name": "acme", "login_url": "http://acme.test/login", "proxy": proxy});
    owner
        .put_credential("acme", &Credential::new("alice", "pw"), None, &config)
        .await
        .unwrap();
    (owner, token)
}

fn workflow() -> WorkflowProxy {
    WorkflowProxy {
        url: SecretString::new("http://w:pw-wf@wf.example:8080".into()),
        ip: Some("192.0.2.50".into()),
    }
}

async fn mark(s: &Server, id: &str, healthy: bool) {
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/v1/admin/proxies/{id}/health"),
            Some(ADMIN_TOKEN),
            Some(json!({ "healthy": healthy })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

both_dbs!(
    credential_member_wins_and_sticks,
    config = pool(),
    |s: Server| async move {
        let (owner, _) =
            owner_with(&s, json!({"enabled": true, "target_ip": "203.0.113.77"})).await;
        let session = owner.session("acme", Purpose::Login).await.unwrap();
        let answer = session.resolve_proxy(Some(workflow())).await.unwrap();
        assert_eq!(answer.source, ProxySource::Credential);
        let proxy = answer.proxy.expect("a member");
        assert_eq!(proxy.id.as_deref(), Some("tyo-1"), "longest common prefix");
        assert!(proxy.url.expose_secret().contains("pw-tyo"));
        assert!(
            !format!("{proxy:?}").contains("pw-tyo"),
            "Debug redacts the URL"
        );
        session.release().await.unwrap();

        // Another run sticks to it; once it is out of rotation, the other wins.
        let session = owner.session("acme", Purpose::Use).await.unwrap();
        let again = session.resolve_proxy(None).await.unwrap();
        assert_eq!(again.proxy.unwrap().id.as_deref(), Some("tyo-1"));
        mark(&s, "tyo-1", false).await;
        let moved = session.resolve_proxy(None).await.unwrap();
        assert_eq!(moved.proxy.unwrap().id.as_deref(), Some("par-1"));

        // With nothing healthy: a typed 503, never a silent fallback.
        mark(&s, "par-1", false).await;
        let err = session.resolve_proxy(Some(workflow())).await.unwrap_err();
        assert!(err.is(ErrorCode::ProxyUnavailable), "{err:?}");
        assert_eq!(err.status(), Some(503));
    }
);

both_dbs!(
    workflow_proxy_then_none,
    config = pool(),
    |s: Server| async move {
        let (owner, token) = owner_with(&s, json!({"enabled": false})).await;
        let session = owner.session("acme", Purpose::Use).await.unwrap();
        let answer = session.resolve_proxy(Some(workflow())).await.unwrap();
        assert_eq!(answer.source, ProxySource::Workflow);
        let proxy = answer.proxy.unwrap();
        assert_eq!(proxy.id, None);
        assert_eq!(proxy.url.expose_secret(), "http://w:pw-wf@wf.example:8080");
        let none = session.resolve_proxy(None).await.unwrap();
        assert_eq!((none.source, none.proxy), (ProxySource::None, None));
        session.release().await.unwrap();

        // The blocking client answers the same.
        let base = s.base.clone();
        tokio::task::spawn_blocking(move || {
            let client = blocking::Client::new(&base, &token).unwrap();
            let session = client.session("acme", Purpose::Use).unwrap();
            let answer = session.resolve_proxy(Some(workflow())).unwrap();
            assert_eq!(answer.source, ProxySource::Workflow);
        })
        .await
        .unwrap();
    }
);

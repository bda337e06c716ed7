//! Per-credential proxies against a real server process on SQLite and
//! PostgreSQL: nearest member by the MaxMind test database
//! (`testdata/geo-test.mmdb`, made by `testdata/gen/mmdb.py`) and by
//! address prefix; deterministic ties; stickiness across leases, config
//! changes and restarts; failover on the admin mark and on a failed TCP
//! check (real listening sockets and a closed port); precedence (credential
//! over workflow over none); `proxy_unavailable`; lease required;
//! isolation; the proxy credentials kept out of the logs and the database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{ADMIN_TOKEN, ALL_SCOPES, Db, Server, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, Row};

/// A real listening socket standing in for a proxy: TCP checks reach it.
fn upstream() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    upstream().local_addr().unwrap().port()
}

fn url_to(port: u16, password: &str) -> String {
    format!("http://agent:{password}@127.0.0.1:{port}")
}

fn geo_db() -> String {
    format!("{}/../testdata/geo-test.mmdb", env!("CARGO_MANIFEST_DIR"))
}

/// One `[[proxies]]` member: `(id, url, exit ip, optional "lat, lon")`.
type MemberSpec<'a> = (&'a str, String, &'a str, Option<&'a str>);

fn pool_toml(settings: &str, members: &[MemberSpec<'_>]) -> String {
    let mut toml = format!("[proxy]\n{settings}\n");
    for (id, url, ip, location) in members {
        toml.push_str(&format!(
            "\n[[proxies]]\nid = \"{id}\"\nurl = \"{url}\"\nip = \"{ip}\"\n"
        ));
        if let Some(location) = location {
            let (lat, lon) = location.split_once(',').unwrap();
            toml.push_str(&format!("location = {{ lat = {lat}, lon = {lon} }}\n"));
        }
    }
    toml
}

async fn start(db: Db, toml: &str) -> Option<Server> {
    let file = std::env::temp_dir().join(format!("sealvault-proxy-{}.toml", rand::random::<u64>()));
    std::fs::write(&file, toml).unwrap();
    let path = file.to_string_lossy().to_string();
    Server::start_with(db, &[("SEALVAULT_CONFIG", path.as_str())]).await
}

/// A user with every scope and a data key: `(user id, token, data key)`.
async fn owner(s: &Server) -> (String, String, sealvault::DataKey) {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    (user, token, dk)
}

/// Writes credential `item` at `version` with `proxy` as its proxy config
/// (`null`: no proxy section).
async fn put_cred(
    s: &Server,
    (user, token, dk): &(String, String, sealvault::DataKey),
    item: &str,
    version: u64,
    proxy: Value,
) {
    let mut cfg = json!({"name": item});
    if !proxy.is_null() {
        cfg["proxy"] = proxy;
    }
    let body = put_body(
        &seal_cred(dk, user, item, version, &cfg, "pw"),
        None,
        &cfg,
        version - 1,
    );
    let (status, e) = s
        .call(
            Method::PUT,
            &format!("/v1/credentials/{item}"),
            Some(token),
            Some(body),
        )
        .await;
    assert!(status.is_success(), "{e}");
}

/// A lease on `item`: `(session id, lease token)`.
async fn lease(s: &Server, token: &str, item: &str, purpose: &str) -> (String, String) {
    let (status, grant) = s
        .call(
            Method::POST,
            &format!("/v1/credentials/{item}/sessions"),
            Some(token),
            Some(json!({"purpose": purpose, "ttl_secs": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    (
        grant["session_id"].as_str().unwrap().to_owned(),
        grant["lease_token"].as_str().unwrap().to_owned(),
    )
}

async fn release(s: &Server, token: &str, (sid, lt): &(String, String)) {
    let (status, _) = s
        .call_h(
            Method::DELETE,
            &format!("/v1/sessions/{sid}"),
            Some(token),
            &[("x-lease-token", lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn resolve(
    s: &Server,
    token: &str,
    item: &str,
    lt: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    s.call_h(
        Method::POST,
        &format!("/v1/credentials/{item}/proxy"),
        Some(token),
        &[("x-lease-token", lt)],
        body,
    )
    .await
}

/// The member a fresh lease on `item` gets (the lease is released).
async fn member_of(s: &Server, token: &str, item: &str) -> String {
    let held = lease(s, token, item, "use").await;
    let (status, answer) = resolve(s, token, item, &held.1, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["source"], "credential", "{answer}");
    release(s, token, &held).await;
    answer["proxy"]["id"].as_str().unwrap().to_owned()
}

async fn mark(s: &Server, id: &str, healthy: bool) -> StatusCode {
    s.call(
        Method::POST,
        &format!("/v1/admin/proxies/{id}/health"),
        Some(ADMIN_TOKEN),
        Some(json!({"healthy": healthy})),
    )
    .await
    .0
}

fn assert_code(status: StatusCode, body: &Value, want: u16, code: &str) {
    assert_eq!(status.as_u16(), want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
}

/// Runs `scenario` on SQLite and on PostgreSQL (skipped there when unavailable).
macro_rules! on_both {
    ($name:ident, $scenario:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($scenario)(Db::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($scenario)(Db::Postgres).await;
            }
        }
    };
}

/// The three test-database places plus a member located by its config
/// (Osaka), listed out of id order.
fn geo_pool(up: &[TcpListener; 4]) -> Vec<MemberSpec<'static>> {
    let port = |i: usize| up[i].local_addr().unwrap().port();
    vec![
        ("d-tokyo", url_to(port(3), "pw-d"), "203.0.113.20", None),
        ("b-newyork", url_to(port(1), "pw-b"), "192.0.2.30", None),
        ("a-paris", url_to(port(0), "pw-a"), "198.51.100.10", None),
        (
            "c-osaka",
            url_to(port(2), "pw-c"),
            "100.64.0.1",
            Some("34.6937, 135.5023"),
        ),
    ]
}

on_both!(nearest_by_maxmind_database, |db| async move {
    let up = [upstream(), upstream(), upstream(), upstream()];
    let members = geo_pool(&up);
    // Paris and New York located by the database, Osaka by its config; no
    // Tokyo member.
    let toml = pool_toml(&format!("maxmind_db = \"{}\"", geo_db()), &members[1..]);
    let Some(s) = start(db, &toml).await else {
        return;
    };
    let o = owner(&s).await;
    for (item, target, want) in [
        // Nearest by distance: Osaka (configured location), though the
        // prefix (4 bits) favours Paris and New York over 100.64.0.1 (0).
        ("tokyo", "203.0.113.7", "c-osaka"),
        ("newyork", "192.0.2.7", "b-newyork"),
        ("paris", "198.51.100.99", "a-paris"),
        // Not in the database: the longest prefix (10.x shares 1 bit with 100.x).
        ("private", "10.1.2.3", "c-osaka"),
    ] {
        put_cred(
            &s,
            &o,
            item,
            1,
            json!({"enabled": true, "target_ip": target}),
        )
        .await;
        let held = lease(&s, &o.1, item, "use").await;
        let (status, answer) = resolve(&s, &o.1, item, &held.1, None).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["source"], "credential");
        assert_eq!(answer["proxy"]["id"], want, "{item}: {answer}");
        let member = members.iter().find(|m| m.0 == want).unwrap();
        assert_eq!(answer["proxy"]["url"], member.1.as_str());
        assert_eq!(answer["proxy"]["ip"], member.2);
    }
});

on_both!(nearest_by_prefix_and_ties, |db| async move {
    let up = [upstream(), upstream(), upstream(), upstream()];
    let toml = pool_toml("", &geo_pool(&up));
    let Some(s) = start(db, &toml).await else {
        return;
    };
    let o = owner(&s).await;
    for (item, target, want) in [
        // 203.0.113.7 vs 203.0.113.20: 27 bits.
        ("tokyo", json!("203.0.113.7"), "d-tokyo"),
        ("newyork", json!("192.0.2.7"), "b-newyork"),
        // 100.64.9.9 vs 100.64.0.1: 20 bits; Osaka's location plays no part.
        ("cgnat", json!("100.64.9.9"), "c-osaka"),
        // 2001:db8::1 shares no bit with any IPv4 member: a four-way tie, by id.
        ("v6", json!("2001:db8::1"), "a-paris"),
        // No target: the first healthy member by id.
        ("anywhere", Value::Null, "a-paris"),
    ] {
        let mut proxy = json!({"enabled": true});
        if !target.is_null() {
            proxy["target_ip"] = target;
        }
        put_cred(&s, &o, item, 1, proxy).await;
        assert_eq!(member_of(&s, &o.1, item).await, want, "{item}");
    }
    // A tie between Paris (198.…) and New York (192.…) for 203.0.113.7 once
    // Tokyo is out: both share 4 bits; the smaller id wins, every time.
    assert_eq!(mark(&s, "d-tokyo", false).await, StatusCode::NO_CONTENT);
    for item in ["tie-1", "tie-2", "tie-3"] {
        put_cred(
            &s,
            &o,
            item,
            1,
            json!({"enabled": true, "target_ip": "203.0.113.7"}),
        )
        .await;
        assert_eq!(member_of(&s, &o.1, item).await, "a-paris", "{item}");
    }
});

on_both!(sticky_and_admin_failover, |db| async move {
    let up = [upstream(), upstream(), upstream(), upstream()];
    let toml = pool_toml("", &geo_pool(&up));
    let Some(mut s) = start(db, &toml).await else {
        return;
    };
    let o = owner(&s).await;
    put_cred(
        &s,
        &o,
        "acme",
        1,
        json!({"enabled": true, "target_ip": "192.0.2.7"}),
    )
    .await;
    assert_eq!(member_of(&s, &o.1, "acme").await, "b-newyork");
    // A new target would pick Paris; the credential keeps its member, across
    // leases and across a restart of the vault.
    put_cred(
        &s,
        &o,
        "acme",
        2,
        json!({"enabled": true, "target_ip": "198.51.100.7"}),
    )
    .await;
    assert_eq!(member_of(&s, &o.1, "acme").await, "b-newyork");
    s.kill();
    s.spawn();
    assert_eq!(member_of(&s, &o.1, "acme").await, "b-newyork");
    // The admin takes it out: re-chosen (nearest the current target), and
    // kept when the admin brings the old member back.
    assert_eq!(mark(&s, "b-newyork", false).await, StatusCode::NO_CONTENT);
    assert_eq!(member_of(&s, &o.1, "acme").await, "a-paris");
    assert_eq!(mark(&s, "b-newyork", true).await, StatusCode::NO_CONTENT);
    assert_eq!(member_of(&s, &o.1, "acme").await, "a-paris");
    // The admin route: admin scope, known ids, a boolean body.
    let (status, body) = s
        .call(
            Method::POST,
            "/v1/admin/proxies/nope/health",
            Some(ADMIN_TOKEN),
            Some(json!({"healthy": false})),
        )
        .await;
    assert_code(status, &body, 404, "not_found");
    let (status, body) = s
        .call(
            Method::POST,
            "/v1/admin/proxies/a-paris/health",
            Some(&o.1),
            Some(json!({"healthy": false})),
        )
        .await;
    assert_code(status, &body, 403, "forbidden");
    let (status, body) = s
        .call(
            Method::POST,
            "/v1/admin/proxies/a-paris/health",
            Some(ADMIN_TOKEN),
            Some(json!({"healthy": "no"})),
        )
        .await;
    assert_code(status, &body, 400, "invalid_request");
    assert_eq!(member_of(&s, &o.1, "acme").await, "a-paris");
    // Audited with ids and sources, never URLs.
    let (status, audit) = s
        .call(Method::GET, "/v1/audit", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = audit["items"].as_array().unwrap();
    let resolves: Vec<&Value> = items
        .iter()
        .filter(|r| r["action"] == "proxy.resolve")
        .collect();
    assert_eq!(resolves.len(), 6, "{audit}");
    let health: Vec<&Value> = items
        .iter()
        .filter(|r| r["action"] == "proxy.health")
        .collect();
    assert_eq!(health.len(), 2, "{audit}");
    let text = audit.to_string();
    assert!(text.contains("b-newyork") && !text.contains("pw-b") && !text.contains("agent:"));
});

/// Resolves on a fresh lease until `done(status, answer)` or 15 s pass.
async fn resolve_until(
    s: &Server,
    token: &str,
    item: &str,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let held = lease(s, token, item, "use").await;
        let (status, answer) = resolve(s, token, item, &held.1, None).await;
        release(s, token, &held).await;
        if done(status, &answer) || Instant::now() > deadline {
            return (status, answer);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn gauge(metrics: &str) -> Option<i64> {
    metrics
        .lines()
        .find(|l| l.starts_with("sealvault_proxy_members_healthy "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

on_both!(tcp_check_failover_then_unavailable, |db| async move {
    let mut up = vec![upstream(), upstream()];
    let port = |l: &TcpListener| l.local_addr().unwrap().port();
    let members = vec![
        (
            "a-paris",
            url_to(port(&up[0]), "pw-a"),
            "198.51.100.10",
            None,
        ),
        (
            "b-newyork",
            url_to(port(&up[1]), "pw-b"),
            "192.0.2.30",
            None,
        ),
        ("z-dead", url_to(closed_port(), "pw-z"), "192.0.2.31", None),
    ];
    let toml = pool_toml("check_interval_secs = 1\ncheck_timeout_secs = 1", &members);
    let Some(s) = start(db, &toml).await else {
        return;
    };
    let (_, metrics) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(gauge(metrics.as_str().unwrap()), Some(2), "{metrics}");
    let o = owner(&s).await;
    // z-dead (192.0.2.31) is nearest 192.0.2.31 but its port is closed.
    put_cred(
        &s,
        &o,
        "acme",
        1,
        json!({"enabled": true, "target_ip": "192.0.2.31"}),
    )
    .await;
    assert_eq!(member_of(&s, &o.1, "acme").await, "b-newyork");
    // New York's proxy goes away: the next check moves the credential on.
    drop(up.remove(1));
    let (status, answer) =
        resolve_until(&s, &o.1, "acme", |_, a| a["proxy"]["id"] != "b-newyork").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["proxy"]["id"], "a-paris", "{answer}");
    // The last one goes: an error, not a silent fallback to the workflow proxy.
    drop(up.remove(0));
    let (status, answer) = resolve_until(&s, &o.1, "acme", |st, _| st.as_u16() == 503).await;
    assert_code(status, &answer, 503, "proxy_unavailable");
    let held = lease(&s, &o.1, "acme", "use").await;
    let workflow = json!({"workflow_proxy": {"url": "http://wf.example:8080", "ip": null}});
    let (status, answer) = resolve(&s, &o.1, "acme", &held.1, Some(workflow)).await;
    assert_code(status, &answer, 503, "proxy_unavailable");
    let (_, metrics) = s.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(gauge(metrics.as_str().unwrap()), Some(0), "{metrics}");
});

on_both!(unavailable_with_no_healthy_member, |db| async move {
    let members = vec![(
        "a-dead",
        url_to(closed_port(), "pw-a"),
        "198.51.100.10",
        None,
    )];
    let Some(s) = start(db, &pool_toml("", &members)).await else {
        return;
    };
    let o = owner(&s).await;
    put_cred(&s, &o, "acme", 1, json!({"enabled": true})).await;
    let held = lease(&s, &o.1, "acme", "use").await;
    let (status, answer) = resolve(&s, &o.1, "acme", &held.1, None).await;
    assert_code(status, &answer, 503, "proxy_unavailable");
    // A credential without a proxy is not affected.
    put_cred(&s, &o, "plain", 1, Value::Null).await;
    let held = lease(&s, &o.1, "plain", "use").await;
    let (status, answer) = resolve(&s, &o.1, "plain", &held.1, None).await;
    assert_eq!(
        (status, &answer["source"]),
        (StatusCode::OK, &json!("none"))
    );
});

on_both!(precedence_credential_workflow_none, |db| async move {
    let up = upstream();
    let members = vec![(
        "p1",
        url_to(up.local_addr().unwrap().port(), "pw-1"),
        "198.51.100.10",
        None,
    )];
    let Some(s) = start(db, &pool_toml("", &members)).await else {
        return;
    };
    let o = owner(&s).await;
    put_cred(
        &s,
        &o,
        "pooled",
        1,
        json!({"enabled": true, "target_ip": "198.51.100.7"}),
    )
    .await;
    put_cred(
        &s,
        &o,
        "off",
        1,
        json!({"enabled": false, "target_ip": "198.51.100.7"}),
    )
    .await;
    put_cred(&s, &o, "plain", 1, Value::Null).await;
    let workflow = json!({"workflow_proxy": {"url": "http://wf:wf-secret@wf.example:8080", "ip": "203.0.113.9"}});
    for (item, body, source, id, url) in [
        (
            "pooled",
            Some(workflow.clone()),
            "credential",
            json!("p1"),
            json!(members[0].1),
        ),
        (
            "pooled",
            None,
            "credential",
            json!("p1"),
            json!(members[0].1),
        ),
        (
            "off",
            Some(workflow.clone()),
            "workflow",
            Value::Null,
            json!("http://wf:wf-secret@wf.example:8080"),
        ),
        (
            "plain",
            Some(workflow.clone()),
            "workflow",
            Value::Null,
            json!("http://wf:wf-secret@wf.example:8080"),
        ),
    ] {
        let held = lease(&s, &o.1, item, "login").await;
        let (status, answer) = resolve(&s, &o.1, item, &held.1, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["source"], source, "{item}: {answer}");
        assert_eq!(answer["proxy"]["id"], id, "{item}: {answer}");
        assert_eq!(answer["proxy"]["url"], url, "{item}: {answer}");
        release(&s, &o.1, &held).await;
    }
    assert_eq!(
        {
            let held = lease(&s, &o.1, "off", "use").await;
            resolve(
                &s,
                &o.1,
                "off",
                &held.1,
                Some(json!({"workflow_proxy": {"url": "socks5://h:1"}})),
            )
            .await
            .1
        }["proxy"]["ip"],
        Value::Null
    );
    for body in [None, Some(json!({"workflow_proxy": null})), Some(json!({}))] {
        let held = lease(&s, &o.1, "plain", "use").await;
        let (status, answer) = resolve(&s, &o.1, "plain", &held.1, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer, json!({"source": "none", "proxy": null}));
        release(&s, &o.1, &held).await;
    }
    let held = lease(&s, &o.1, "plain", "use").await;
    let (status, answer) = resolve(
        &s,
        &o.1,
        "plain",
        &held.1,
        Some(json!({"workflow_proxy": 3})),
    )
    .await;
    assert_code(status, &answer, 400, "invalid_request");
    let (_, metrics) = s.call(Method::GET, "/metrics", None, None).await;
    let metrics = metrics.as_str().unwrap();
    for line in [
        "sealvault_proxy_resolutions_total{source=\"credential\"} 2",
        "sealvault_proxy_resolutions_total{source=\"workflow\"} 3",
        "sealvault_proxy_resolutions_total{source=\"none\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
});

on_both!(lease_required_and_isolation, |db| async move {
    let up = upstream();
    let members = vec![(
        "p1",
        url_to(up.local_addr().unwrap().port(), "pw-1"),
        "198.51.100.10",
        None,
    )];
    let Some(s) = start(db, &pool_toml("", &members)).await else {
        return;
    };
    let o = owner(&s).await;
    put_cred(&s, &o, "acme", 1, json!({"enabled": true})).await;
    put_cred(&s, &o, "other", 1, json!({"enabled": true})).await;
    let path = "/v1/credentials/acme/proxy";
    // No lease header, another credential's lease, a released lease.
    let (status, body) = s.call(Method::POST, path, Some(&o.1), None).await;
    assert_code(status, &body, 409, "lease_required");
    let other = lease(&s, &o.1, "other", "use").await;
    let (status, body) = resolve(&s, &o.1, "acme", &other.1, None).await;
    assert_code(status, &body, 409, "lease_required");
    let gone = lease(&s, &o.1, "acme", "use").await;
    release(&s, &o.1, &gone).await;
    let (status, body) = resolve(&s, &o.1, "acme", &gone.1, None).await;
    assert_code(status, &body, 409, "lease_required");
    // A live lease, in either phase.
    let held = lease(&s, &o.1, "acme", "login").await;
    let (status, answer) = resolve(&s, &o.1, "acme", &held.1, None).await;
    assert_eq!(
        (status, &answer["proxy"]["id"]),
        (StatusCode::OK, &json!("p1"))
    );
    // Outside the token's reach: exactly what a missing item answers.
    let (_, missing) = resolve(&s, &o.1, "missing", &held.1, None).await;
    assert_code(StatusCode::NOT_FOUND, &missing, 404, "not_found");
    let (_, b_token) = s.user_with(ALL_SCOPES, None).await;
    let limited = s.token(&o.0, ALL_SCOPES, Some(vec!["crm-*"])).await;
    for (who, token) in [
        ("another user", &b_token),
        ("an item-limited token", &limited),
    ] {
        let (status, body) = resolve(&s, token, "acme", &held.1, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
        assert_eq!(body, missing, "{who}");
    }
    // The scope.
    let no_sessions = s.token(&o.0, &["secrets:access"], None).await;
    let (status, body) = resolve(&s, &no_sessions, "acme", &held.1, None).await;
    assert_code(status, &body, 403, "forbidden");
    // None of that moved the owner's choice or lease.
    let (status, answer) = resolve(&s, &o.1, "acme", &held.1, None).await;
    assert_eq!(
        (status, &answer["proxy"]["id"]),
        (StatusCode::OK, &json!("p1"))
    );
});

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every row of every table as text (bytea as hex).
async fn pg_dump(url: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("t"))
    .collect();
    let mut dump = String::new();
    for table in tables {
        let sql = format!("SELECT CAST(t AS TEXT) AS row FROM \"{table}\" t");
        for row in sqlx::query(&sql).fetch_all(&mut conn).await.unwrap() {
            dump.push_str(&row.get::<String, _>("row"));
            dump.push('\n');
        }
    }
    dump
}

on_both!(
    proxy_credentials_stay_out_of_logs_and_database,
    |db| async move {
        let pool_pw = format!("CANARY-pool-{:016x}", rand::random::<u64>());
        let env_pw = format!("CANARY-env-{:016x}", rand::random::<u64>());
        let file_pw = format!("CANARY-file-{:016x}", rand::random::<u64>());
        let workflow_pw = format!("CANARY-workflow-{:016x}", rand::random::<u64>());
        let up = [upstream(), upstream(), upstream()];
        let port = |i: usize| up[i].local_addr().unwrap().port();
        let secrets_dir = tempfile::tempdir().unwrap();
        let url_file = secrets_dir.path().join("p3.url");
        std::fs::write(&url_file, format!("{}\n", url_to(port(2), &file_pw))).unwrap();
        let env_var = format!("SEALVAULT_TEST_PROXY_URL_{}", rand::random::<u32>());
        let toml = format!(
            "{}\n[[proxies]]\nid = \"p2\"\nurl_env = \"{env_var}\"\nip = \"198.51.100.12\"\n\
         \n[[proxies]]\nid = \"p3\"\nurl_file = \"{}\"\nip = \"198.51.100.13\"\n",
            pool_toml(
                "",
                &[("p1", url_to(port(0), &pool_pw), "198.51.100.11", None)]
            ),
            url_file.display()
        );
        let file =
            std::env::temp_dir().join(format!("sealvault-proxy-{}.toml", rand::random::<u64>()));
        std::fs::write(&file, toml).unwrap();
        let config = file.to_string_lossy().to_string();
        let env_url = url_to(port(1), &env_pw);
        let Some(s) = Server::start_with(
            db,
            &[
                ("SEALVAULT_CONFIG", config.as_str()),
                (env_var.as_str(), env_url.as_str()),
            ],
        )
        .await
        else {
            return;
        };
        let o = owner(&s).await;
        let mut answers = String::new();
        for (item, target) in [
            ("one", "198.51.100.11"),
            ("two", "198.51.100.12"),
            ("three", "198.51.100.13"),
        ] {
            put_cred(
                &s,
                &o,
                item,
                1,
                json!({"enabled": true, "target_ip": target}),
            )
            .await;
            let held = lease(&s, &o.1, item, "use").await;
            let (status, answer) = resolve(&s, &o.1, item, &held.1, None).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            answers.push_str(&answer.to_string());
        }
        put_cred(&s, &o, "wf", 1, Value::Null).await;
        let held = lease(&s, &o.1, "wf", "use").await;
        let workflow = json!({"workflow_proxy": {"url": format!("http://u:{workflow_pw}@wf.example:1"), "ip": null}});
        let (status, answer) = resolve(&s, &o.1, "wf", &held.1, Some(workflow)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answers.push_str(&answer.to_string());
        assert_eq!(mark(&s, "p1", false).await, StatusCode::NO_CONTENT);
        let canaries = [&pool_pw, &env_pw, &file_pw, &workflow_pw];
        // The answers carry them (so the checks below can fail)…
        for canary in canaries {
            assert!(
                answers.contains(canary.as_str()),
                "{canary} not handed out: {answers}"
            );
        }
        // …the logs (trace level) and the database never do.
        let logs = s.logs();
        assert!(logs.contains("proxy check"), "the checks log at debug");
        for canary in canaries {
            assert!(
                !logs.contains(canary.as_str()),
                "a proxy credential reached the logs"
            );
        }
        match s.db {
            Db::Sqlite => {
                for file in s.db_files() {
                    let bytes = std::fs::read(&file).unwrap();
                    for canary in canaries {
                        assert!(
                            !contains(&bytes, canary.as_bytes()),
                            "{canary} in {}",
                            file.display()
                        );
                    }
                }
            }
            Db::Postgres => {
                let dump = pg_dump(&s.database_url).await;
                assert!(
                    dump.contains("proxy.resolve") && dump.contains("p1"),
                    "{dump}"
                );
                for canary in canaries {
                    assert!(!dump.contains(canary.as_str()), "{canary} in the database");
                    assert!(
                        !dump.contains(&hex::encode(canary.as_bytes())),
                        "{canary} in the database"
                    );
                }
            }
        }
    }
);

/// A second vault process on `s`'s database and config: `(process, base URL)`.
fn replica(s: &Server) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = s
        .command(&["serve"])
        .env("SEALVAULT_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("replica exited before listening")
            .unwrap();
        if let Some(pos) = line.find("listening on ") {
            break line[pos + 13..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
        }
    };
    // Keep draining its logs so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, format!("http://{addr}"))
}

on_both!(replicas_share_health_and_choices, |db| async move {
    let up = [upstream(), upstream(), upstream(), upstream()];
    let toml = pool_toml("", &geo_pool(&up));
    let Some(mut a) = start(db, &toml).await else {
        return;
    };
    let (mut child, base_b) = replica(&a);
    let base_a = a.base.clone();
    let o = owner(&a).await;
    put_cred(
        &a,
        &o,
        "acme",
        1,
        json!({"enabled": true, "target_ip": "192.0.2.7"}),
    )
    .await;
    // Twenty holders on two replicas resolve at once: one choice, stored once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let base = if i % 2 == 0 {
            base_a.clone()
        } else {
            base_b.clone()
        };
        let held = lease(&a, &o.1, "acme", "use").await;
        let (client, token) = (a.client.clone(), o.1.clone());
        tasks.push(tokio::spawn(async move {
            let answer: Value = client
                .post(format!("{base}/v1/credentials/acme/proxy"))
                .bearer_auth(token)
                .header("x-lease-token", held.1)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["proxy"]["id"].as_str().unwrap().to_owned()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), "b-newyork");
    }
    // An admin mark made through replica B moves the choice on replica A.
    let (status, _) = a
        .client
        .post(format!("{base_b}/v1/admin/proxies/b-newyork/health"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"healthy": false}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(member_of(&a, &o.1, "acme").await, "a-paris");
    let _ = child.kill();
    let _ = child.wait();
    // A member dropped from the pool is no longer handed out: the
    // credential is re-chosen (the stored id alone does not hold it).
    let without_paris: Vec<_> = geo_pool(&up)
        .into_iter()
        .filter(|m| m.0 != "a-paris")
        .collect();
    let file = std::env::temp_dir().join(format!("sealvault-proxy-{}.toml", rand::random::<u64>()));
    std::fs::write(&file, pool_toml("", &without_paris)).unwrap();
    for (k, v) in a.extra_env.iter_mut() {
        if k == "SEALVAULT_CONFIG" {
            *v = file.to_string_lossy().to_string();
        }
    }
    a.kill();
    a.spawn();
    // b-newyork's admin mark still holds; of the rest, 203.0.113.20 and
    // 100.64.0.1 share 4 and 0 bits with 192.0.2.7.
    assert_eq!(member_of(&a, &o.1, "acme").await, "d-tokyo");
});

//! Route-by-route checks: a canary password, TOTP seed and the tokens sent
//! through every route of `server/src/api/routes/mod.rs` (the test fails
//! if a route there is not exercised) never reach the logs at trace level,
//! the database or an error body; per-route isolation of another user's and
//! an item-limited token's leases; JSON error bodies on 408 and 413. The
//! canary run has a proxy pool whose member URL carries a canary password,
//! and passes a workflow proxy with another.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::Duration;

use common::{ADMIN_TOKEN, ALL_SCOPES, Db, Server, b64, config, put_body, seal_cred, seal_totp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, Row};

const ROUTES: &str = include_str!("../src/api/routes/mod.rs");

/// `(METHOD, path template)` of every route the router declares.
fn declared_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for chunk in ROUTES.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_owned();
        for method in ["get", "post", "put", "delete"] {
            let call = format!("{method}(");
            let mut rest = chunk;
            while let Some(at) = rest.find(&call) {
                let before = rest[..at].chars().last();
                if before.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                    routes.insert((method.to_uppercase(), path.clone()));
                }
                rest = &rest[at + call.len()..];
            }
        }
    }
    routes
}

/// Calls routes, recording which ones and every error body.
struct Probe<'a> {
    s: &'a Server,
    seen: Mutex<BTreeSet<(String, String)>>,
    errors: Mutex<Vec<String>>,
}

impl<'a> Probe<'a> {
    fn new(s: &'a Server) -> Self {
        Self {
            s,
            seen: Mutex::new(BTreeSet::new()),
            errors: Mutex::new(Vec::new()),
        }
    }

    /// `template` names the route; `path` fills it in.
    async fn call(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let raw = body.map(|b| b.to_string());
        self.raw(method, template, path, token, headers, raw).await
    }

    async fn raw(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, Value) {
        self.seen
            .lock()
            .unwrap()
            .insert((method.to_string(), template.to_owned()));
        let mut request = self
            .s
            .client
            .request(method, format!("{}{path}", self.s.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        if status.is_client_error() || status.is_server_error() {
            self.errors.lock().unwrap().push(text.clone());
        }
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every row of every table as text (PostgreSQL renders bytea as hex).
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
    assert!(tables.iter().any(|t| t == "credentials"), "{tables:?}");
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

/// A proxy the canary run's pool member points at: a real listening socket
/// (so its TCP check passes), kept for the life of the test binary.
static PROXY_UPSTREAM: std::sync::LazyLock<std::net::TcpListener> =
    std::sync::LazyLock::new(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap());
const PROXY_CANARY: &str = "CANARY-proxy-pw-5f1e0c9a7b3d";
const WORKFLOW_CANARY: &str = "CANARY-workflow-pw-8c2d4e6f";

/// A pool of one member whose URL holds [`PROXY_CANARY`].
fn canary_config() -> String {
    let port = PROXY_UPSTREAM.local_addr().unwrap().port();
    format!(
        "[[proxies]]\nid = \"canary-1\"\nurl = \"http://agent:{PROXY_CANARY}@127.0.0.1:{port}\"\nip = \"198.51.100.10\"\n"
    )
}

both_dbs!(
    canary_through_every_route,
    config = canary_config(),
    canary_run
);

async fn canary_run(s: Server) {
    let p = Probe::new(&s);
    let canary_pw = format!("CANARY-pw-{:016x}", rand::random::<u64>());
    let canary_seed = "KNSWC3DWMF2WY5DDMFXGC4TZGEZDGNBV";
    let canary_bearer = format!("CANARY-bearer-{:016x}", rand::random::<u64>());
    let admin = Some(ADMIN_TOKEN);
    let post = Method::POST;

    for route in ["/healthz", "/metrics", "/openapi.json", "/v1/meta"] {
        assert_eq!(
            p.call(Method::GET, route, route, None, &[], None).await.0,
            StatusCode::OK
        );
    }
    // Users and tokens.
    let (_, user) = p
        .call(
            post.clone(),
            "/v1/users",
            "/v1/users",
            admin,
            &[],
            Some(json!({"name": "canary"})),
        )
        .await;
    let user = user["id"].as_str().unwrap().to_owned();
    let tokens_t = "/v1/users/{user_id}/tokens";
    let tokens = format!("/v1/users/{user}/tokens");
    let mint = json!({"name": "t", "scopes": ALL_SCOPES, "items": null, "ttl_secs": null});
    let (_, t) = p
        .call(
            post.clone(),
            tokens_t,
            &tokens,
            admin,
            &[],
            Some(mint.clone()),
        )
        .await;
    let token = t["token"].as_str().unwrap().to_owned();
    let (_, t2) = p
        .call(post.clone(), tokens_t, &tokens, admin, &[], Some(mint))
        .await;
    let token2 = t2["token"].as_str().unwrap().to_owned();
    assert_eq!(
        p.call(Method::GET, tokens_t, &tokens, admin, &[], None)
            .await
            .0,
        StatusCode::OK
    );
    let revoke = format!("{tokens}/{}", t2["id"].as_str().unwrap());
    let (status, _) = p
        .call(
            Method::DELETE,
            "/v1/users/{user_id}/tokens/{token_id}",
            &revoke,
            admin,
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let tk = Some(token.as_str());
    assert_eq!(
        p.call(Method::GET, "/v1/me", "/v1/me", tk, &[], None)
            .await
            .0,
        StatusCode::OK
    );
    // Keys and the canary credential with its TOTP seed.
    let (_, key) = p
        .call(post.clone(), "/v1/keys", "/v1/keys", tk, &[], None)
        .await;
    let dk = sealvault::DataKey::from_api(
        key["key_id"].as_str().unwrap(),
        key["key"].as_str().unwrap(),
    )
    .unwrap();
    let (status, _) = p
        .call(
            Method::GET,
            "/v1/keys/current",
            "/v1/keys/current",
            tk,
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut cfg = config("acme");
    cfg["proxy"] = json!({"enabled": true, "target_ip": "198.51.100.7"});
    let uri = format!("otpauth://totp/ACME:a?secret={canary_seed}&issuer=ACME");
    let body = put_body(
        &seal_cred(&dk, &user, "acme", 1, &cfg, &canary_pw),
        Some(&seal_totp(&dk, &user, "acme", 1, &uri)),
        &cfg,
        0,
    );
    let cred_t = "/v1/credentials/{id}";
    let (status, e) = p
        .call(
            Method::PUT,
            cred_t,
            "/v1/credentials/acme",
            tk,
            &[],
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let (status, _) = p
        .call(
            Method::GET,
            "/v1/credentials",
            "/v1/credentials",
            tk,
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        p.call(Method::GET, cred_t, "/v1/credentials/acme", tk, &[], None)
            .await
            .0,
        StatusCode::OK
    );
    // A lease through its whole life.
    let (status, grant) = p
        .call(
            post.clone(),
            "/v1/credentials/{id}/sessions",
            "/v1/credentials/acme/sessions",
            tk,
            &[],
            Some(json!({"purpose": "login", "ttl_secs": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    let lt = grant["lease_token"].as_str().unwrap().to_owned();
    let sid = grant["session_id"].as_str().unwrap().to_owned();
    let lease = [("x-lease-token", lt.as_str())];
    let (status, acc) = p
        .call(
            post.clone(),
            "/v1/credentials/{id}/access",
            "/v1/credentials/acme/access",
            tk,
            &lease,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, code) = p
        .call(
            post.clone(),
            "/v1/credentials/{id}/totp",
            "/v1/credentials/acme/totp",
            tk,
            &lease,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{code}");
    // Browser session state with a canary cookie, through its three routes.
    let canary_cookie = format!("CANARY-cookie-{:016x}", rand::random::<u64>());
    let state_key = sealvault::DataKey::from_api(
        grant["state_key_id"].as_str().unwrap(),
        grant["state_key"].as_str().unwrap(),
    )
    .unwrap();
    let fencing = grant["fencing_token"].as_u64().unwrap().to_string();
    let writer = [
        ("x-lease-token", lt.as_str()),
        ("x-fencing-token", fencing.as_str()),
    ];
    let state_t = "/v1/credentials/{id}/session-state";
    let state_p = "/v1/credentials/acme/session-state";
    let browser = json!({"cookies": [{"name": "sid", "value": canary_cookie}], "origins": []});
    let sealed_state = sealvault::seal_item(
        &state_key,
        &sealvault::ItemInfo::session_state(&user, "acme", 1),
        &sealvault::Context::new(),
        browser.to_string().as_bytes(),
    )
    .unwrap();
    let state_body = json!({"envelope": b64(&sealed_state), "expected_version": 0});
    let (status, e) = p
        .call(Method::PUT, state_t, state_p, tk, &writer, Some(state_body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let (status, e) = p
        .call(Method::GET, state_t, state_p, tk, &lease, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let bad_state = format!("{{\"envelope\": \"{canary_cookie}\", \"expected_version\": ");
    let (status, _) = p
        .raw(Method::PUT, state_t, state_p, tk, &writer, Some(bad_state))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let huge_state = json!({"envelope": canary_cookie, "pad": "x".repeat(4 * 1024 * 1024 + 1)});
    let (status, _) = p
        .raw(
            Method::PUT,
            state_t,
            state_p,
            tk,
            &writer,
            Some(huge_state.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = p
        .call(Method::DELETE, state_t, state_p, tk, &lease, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let workflow = json!({"workflow_proxy": {"url": format!("http://w:{WORKFLOW_CANARY}@wf.example:8080"), "ip": null}});
    let (status, proxy) = p
        .call(
            post.clone(),
            "/v1/credentials/{id}/proxy",
            "/v1/credentials/acme/proxy",
            tk,
            &lease,
            Some(workflow),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{proxy}");
    assert_eq!(proxy["source"], "credential", "{proxy}");
    assert!(
        proxy["proxy"]["url"]
            .as_str()
            .unwrap()
            .contains(PROXY_CANARY)
    );
    let health_t = "/v1/admin/proxies/{id}/health";
    for healthy in [false, true] {
        let (status, _) = p
            .call(
                post.clone(),
                health_t,
                "/v1/admin/proxies/canary-1/health",
                admin,
                &[],
                Some(json!({"healthy": healthy})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    for template_path in [
        "/v1/admin/proxies/canary-1/health",
        "/v1/admin/proxies/nope/health",
    ] {
        let (status, _) = p
            .call(
                post.clone(),
                health_t,
                template_path,
                tk,
                &[],
                Some(json!({"healthy": false})),
            )
            .await;
        assert!(status.is_client_error(), "{template_path}: {status}");
    }
    for (template, tail) in [
        ("/v1/sessions/{sid}/heartbeat", "heartbeat"),
        ("/v1/sessions/{sid}/login-complete", "login-complete"),
    ] {
        let path = format!("/v1/sessions/{sid}/{tail}");
        assert_eq!(
            p.call(post.clone(), template, &path, tk, &lease, None)
                .await
                .0,
            StatusCode::OK
        );
    }
    let (status, _) = p
        .call(
            Method::DELETE,
            "/v1/sessions/{sid}",
            &format!("/v1/sessions/{sid}"),
            tk,
            &lease,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Rotation, audit, delete.
    let (status, _) = p
        .call(
            post.clone(),
            "/v1/keys/rotate",
            "/v1/keys/rotate",
            tk,
            &[],
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, key2) = p
        .call(
            Method::GET,
            "/v1/keys/current",
            "/v1/keys/current",
            tk,
            &[],
            None,
        )
        .await;
    assert_eq!(
        p.call(Method::GET, "/v1/audit", "/v1/audit", tk, &[], None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        p.call(Method::GET, "/v1/audit", "/v1/audit", admin, &[], None)
            .await
            .0,
        StatusCode::OK
    );

    // Failures with the canaries in the request: none may be echoed.
    let bad_json = format!("{{\"envelope\": \"{canary_pw}\", \"config\": ");
    let big = json!({"name": canary_pw, "pad": "x".repeat(70 * 1024)}).to_string();
    for (method, template, path) in [
        (Method::PUT, cred_t, "/v1/credentials/acme"),
        (post.clone(), "/v1/users", "/v1/users"),
        (post.clone(), tokens_t, tokens.as_str()),
        (post.clone(), "/v1/keys/rotate", "/v1/keys/rotate"),
        (
            post.clone(),
            "/v1/credentials/{id}/sessions",
            "/v1/credentials/acme/sessions",
        ),
        (
            post.clone(),
            "/v1/credentials/{id}/totp",
            "/v1/credentials/acme/totp",
        ),
        (
            post.clone(),
            "/v1/credentials/{id}/proxy",
            "/v1/credentials/acme/proxy",
        ),
        (
            post.clone(),
            "/v1/admin/proxies/{id}/health",
            "/v1/admin/proxies/canary-1/health",
        ),
    ] {
        let who = if template.starts_with("/v1/users") || template.starts_with("/v1/admin") {
            admin
        } else {
            tk
        };
        let (status, _) = p
            .raw(
                method.clone(),
                template,
                path,
                who,
                &lease,
                Some(bad_json.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        let (status, _) = p
            .raw(method, template, path, who, &lease, Some(big.clone()))
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    let wrong_type =
        json!({"envelope": b64(canary_pw.as_bytes()), "config": cfg, "expected_version": 1});
    let (status, _) = p
        .call(
            Method::PUT,
            cred_t,
            "/v1/credentials/acme",
            tk,
            &[],
            Some(wrong_type),
        )
        .await;
    assert_eq!(status.as_u16(), 422);
    let wrong_field = json!({"envelope": 7, "config": cfg, "expected_version": canary_pw});
    let (status, _) = p
        .call(
            Method::PUT,
            cred_t,
            "/v1/credentials/acme",
            tk,
            &[],
            Some(wrong_field),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for bearer in [canary_bearer.as_str(), token2.as_str()] {
        let (status, _) = p
            .call(Method::GET, "/v1/me", "/v1/me", Some(bearer), &[], None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let fake_lease = [("x-lease-token", canary_bearer.as_str())];
    for (template, path) in [
        (
            "/v1/credentials/{id}/access",
            "/v1/credentials/acme/access".to_owned(),
        ),
        (
            "/v1/credentials/{id}/totp",
            "/v1/credentials/acme/totp".to_owned(),
        ),
        (
            "/v1/sessions/{sid}/heartbeat",
            format!("/v1/sessions/{sid}/heartbeat"),
        ),
        (
            "/v1/credentials/{id}/proxy",
            "/v1/credentials/acme/proxy".to_owned(),
        ),
    ] {
        let (status, _) = p
            .call(post.clone(), template, &path, tk, &fake_lease, None)
            .await;
        assert!(status.is_client_error(), "{path}: {status}");
    }
    let (status, _) = p
        .call(
            Method::GET,
            "/v1/credentials/{id}/tfa-code",
            "/v1/credentials/acme/tfa-code?wait=0",
            tk,
            &fake_lease,
            None,
        )
        .await;
    assert!(status.is_client_error(), "tfa-code: {status}");
    // Unsigned or wrongly signed webhooks carrying the canaries: refused.
    let signature = [("x-sealvault-signature", "t=1,v1=00")];
    for route in [
        "/v1/inbound/email",
        "/v1/inbound/sms",
        "/v1/inbound/sms/twilio",
    ] {
        let body = json!({"from": canary_pw, "to": "+15550100001", "body": canary_seed, "id": canary_bearer});
        let (status, _) = p
            .call(post.clone(), route, route, None, &signature, Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{route}");
    }
    let (status, _) = p
        .call(
            Method::DELETE,
            cred_t,
            &format!("/v1/credentials/acme?expected_version={canary_pw}"),
            tk,
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = p
        .call(
            Method::DELETE,
            cred_t,
            "/v1/credentials/acme?expected_version=1",
            tk,
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Every declared route was exercised.
    let seen = p.seen.lock().unwrap().clone();
    let missing: Vec<_> = declared_routes().difference(&seen).cloned().collect();
    assert!(declared_routes().len() >= 25, "{:?}", declared_routes());
    assert!(missing.is_empty(), "routes not exercised: {missing:?}");

    // The canaries, the tokens and every key handed out.
    let dk2 = sealvault::DataKey::from_api(
        key2["key_id"].as_str().unwrap(),
        key2["key"].as_str().unwrap(),
    )
    .unwrap();
    let mut needles: Vec<Vec<u8>> = [
        canary_pw.as_str(),
        canary_seed,
        canary_bearer.as_str(),
        ADMIN_TOKEN,
        token.as_str(),
        token2.as_str(),
        lt.as_str(),
        acc["envelope_key"].as_str().unwrap(),
        grant["state_key"].as_str().unwrap(),
        key["key"].as_str().unwrap(),
        key2["key"].as_str().unwrap(),
        PROXY_CANARY,
        WORKFLOW_CANARY,
    ]
    .iter()
    .map(|n| n.as_bytes().to_vec())
    .collect();
    needles.push(canary_cookie.as_bytes().to_vec());
    needles.push(state_key.expose_secret().to_vec());
    needles.push(dk.expose_secret().to_vec());
    needles.push(dk2.expose_secret().to_vec());
    let logs = s.logs();
    // The harness runs the server with `trace`; the request spans log at debug.
    assert!(
        logs.contains("DEBUG"),
        "the server logs at debug level or finer"
    );
    for needle in &needles {
        assert!(
            !contains(logs.as_bytes(), needle),
            "a secret reached the logs"
        );
        for body in p.errors.lock().unwrap().iter() {
            assert!(
                !contains(body.as_bytes(), needle),
                "a secret in an error body: {body}"
            );
        }
    }
    match s.db {
        Db::Sqlite => {
            let files = s.db_files();
            assert!(files.iter().any(|f| f.to_string_lossy().ends_with(".db")));
            for file in files {
                let bytes = std::fs::read(&file).unwrap();
                for needle in &needles {
                    assert!(
                        !contains(&bytes, needle),
                        "a secret reached {}",
                        file.display()
                    );
                }
            }
        }
        Db::Postgres => {
            let dump = pg_dump(&s.database_url).await;
            assert!(dump.contains("credential.put"));
            for needle in &needles {
                for form in [needle.clone(), hex::encode(needle).into_bytes()] {
                    assert!(
                        !contains(dump.as_bytes(), &form),
                        "a secret reached the database"
                    );
                }
            }
        }
    }
}

/// A user with a credential `acme` (a TOTP seed, one lease at a time) in a
/// login lease: `(token, session id, lease token)`.
async fn leased(s: &Server) -> (String, String, String) {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = json!({"name": "acme", "concurrency": {"allow_multiple": false}});
    let uri = "otpauth://totp/ACME:a?secret=JBSWY3DPEHPK3PXP&issuer=ACME";
    let body = put_body(
        &seal_cred(&dk, &user, "acme", 1, &cfg, "p"),
        Some(&seal_totp(&dk, &user, "acme", 1, uri)),
        &cfg,
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
    let (status, grant) = s
        .call(
            Method::POST,
            "/v1/credentials/acme/sessions",
            Some(&token),
            Some(json!({"purpose": "login", "ttl_secs": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{grant}");
    (
        token,
        grant["session_id"].as_str().unwrap().to_owned(),
        grant["lease_token"].as_str().unwrap().to_owned(),
    )
}

both_dbs!(lease_routes_isolated, |s: Server| async move {
    let (a_token, sid, lt) = leased(&s).await;
    let (_, b_token) = s.user_with(ALL_SCOPES, None).await;
    s.data_key(&b_token).await;
    let (me_status, me) = s.call(Method::GET, "/v1/me", Some(&a_token), None).await;
    assert_eq!(me_status, StatusCode::OK);
    let alice = me["user_id"].as_str().unwrap();
    let agent = s.token(alice, ALL_SCOPES, Some(vec!["crm-*"])).await;
    let lease = [("x-lease-token", lt.as_str())];
    // What a missing session answers, to compare with.
    let (_, missing) = s
        .call_h(
            Method::POST,
            "/v1/sessions/ses_missing/heartbeat",
            Some(&a_token),
            &lease,
            None,
        )
        .await;
    let state = "/v1/credentials/acme/session-state".to_owned();
    let state_body = json!({"envelope": b64(b"not an envelope"), "expected_version": 0});
    let routes = [
        (Method::POST, "/v1/credentials/acme/totp".to_owned(), None),
        (Method::POST, "/v1/credentials/acme/access".to_owned(), None),
        (Method::POST, format!("/v1/sessions/{sid}/heartbeat"), None),
        (
            Method::POST,
            format!("/v1/sessions/{sid}/login-complete"),
            None,
        ),
        (Method::DELETE, format!("/v1/sessions/{sid}"), None),
        (Method::PUT, state.clone(), Some(state_body)),
        (Method::GET, state.clone(), None),
        (Method::DELETE, state, None),
        (Method::POST, "/v1/credentials/acme/proxy".to_owned(), None),
    ];
    for (who, token) in [
        ("another user", &b_token),
        ("an item-limited token", &agent),
    ] {
        for (method, path, body) in &routes {
            let (status, body) = s
                .call_h(method.clone(), path, Some(token), &lease, body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{who}: {method} {path}: {body}"
            );
            assert_eq!(body, missing, "{who}: {method} {path}");
        }
    }
    // The owner's lease is untouched: still in its login phase, still usable.
    let (status, hb) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{sid}/heartbeat"),
            Some(&a_token),
            &lease,
            None,
        )
        .await;
    assert_eq!(
        (status, hb["phase"].as_str()),
        (StatusCode::OK, Some("login"))
    );
    for path in ["/v1/credentials/acme/access", "/v1/credentials/acme/totp"] {
        let (status, body) = s
            .call_h(Method::POST, path, Some(&a_token), &lease, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, done) = s
        .call_h(
            Method::POST,
            &format!("/v1/sessions/{sid}/login-complete"),
            Some(&a_token),
            &lease,
            None,
        )
        .await;
    assert_eq!(
        (status, done["phase"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    let (status, _) = s
        .call_h(
            Method::DELETE,
            &format!("/v1/sessions/{sid}"),
            Some(&a_token),
            &lease,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
});

fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

both_dbs!(
    json_error_bodies,
    config = "[limits]\nrequest_timeout_secs = 1\nmax_wait_secs = 10\n",
    |s: Server| async move {
        let (token, _sid, lt) = leased(&s).await;
        let lease = [("x-lease-token", lt.as_str())];
        // 413 from /totp and from every other route that reads a body.
        let big = json!({"min_validity_secs": 1, "pad": "x".repeat(70 * 1024)});
        for (method, path, who) in [
            (Method::POST, "/v1/credentials/acme/totp", token.as_str()),
            (Method::PUT, "/v1/credentials/acme", token.as_str()),
            (
                Method::POST,
                "/v1/credentials/acme/sessions",
                token.as_str(),
            ),
            (Method::POST, "/v1/keys/rotate", token.as_str()),
            (Method::POST, "/v1/users", ADMIN_TOKEN),
        ] {
            let (status, body) = s
                .call_h(method, path, Some(who), &lease, Some(big.clone()))
                .await;
            assert_error(
                status,
                &body,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            );
        }
        // 408 on a long poll past the request timeout (the lease holds the one slot).
        let (status, body) = s
            .call(
                Method::POST,
                "/v1/credentials/acme/sessions",
                Some(&token),
                Some(json!({"purpose": "login", "wait_secs": 5})),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
        );
        // 408 on a body that never finishes arriving.
        let addr = s.base.trim_start_matches("http://").to_owned();
        let token2 = token.clone();
        let raw = tokio::task::spawn_blocking(move || {
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            write!(
                conn,
                "POST /v1/credentials/acme/totp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token2}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"min_"
            )
            .unwrap();
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = conn.read(&mut buf) {
                if n == 0 {
                    break;
                }
                answer.extend_from_slice(&buf[..n]);
                if contains(&answer, b"}}") {
                    break;
                }
            }
            String::from_utf8_lossy(&answer).into_owned()
        })
        .await
        .unwrap();
        assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
        let body: Value = serde_json::from_str(raw.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_error(
            StatusCode::REQUEST_TIMEOUT,
            &body,
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
        );
        // An unknown route is a JSON 404 too.
        let (status, body) = s
            .call(Method::GET, "/v1/nothing-here", Some(&token), None)
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
);

//! Master keys in an HSM (`pkcs11`, SoftHSM2) and in AWS KMS (`aws-kms`,
//! moto's KMS-compatible server), with real processes: round trips, restart,
//! wrong PIN, the provider failing mid-run (503 with every key, credential
//! and session-state row unchanged, the failures audited), recovery, and a
//! keyring migration file → HSM → KMS.
//!
//! SoftHSM2: `softhsm2-util` on PATH and the module at
//! `/usr/lib/softhsm/libsofthsm2.so` (or `SEALVAULT_SOFTHSM_MODULE`); a
//! token is initialised per test in a temp dir through `SOFTHSM2_CONF`.
//! moto: `moto_server` from `SEALVAULT_MOTO_SERVER` or PATH, started per
//! test on a loopback port. Missing tools skip a test with the reason,
//! unless `SEALVAULT_TEST_HSM=required` / `SEALVAULT_TEST_KMS=required`
//! (CI), which make it fail.
//!
//! moto keeps its keys in memory (a restart loses them) and does not enforce
//! disabled keys, so "KMS unreachable" is simulated by a small TCP fault
//! proxy in this file between the vault and moto (it refuses and cuts
//! connections while down), and "key gone" by restarting moto.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![cfg(any(feature = "pkcs11", feature = "aws-kms"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{ADMIN_TOKEN, ALL_SCOPES, Db, Server, config, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use sealvault::{DataKey, ItemInfo, open};
use serde_json::{Value, json};
use sqlx::{Connection, Row};

const PIN: &str = "pin-7f3a9c21e5b04d";
const SO_PIN: &str = "so-pin-31d2e8a90c";
const TOKEN: &str = "sealvault-test";
const KEY_LABEL: &str = "sealvault-master";

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "required")
}

/// Skips (prints why) or, when `var` is `required`, fails.
fn unavailable(var: &str, why: &str) {
    assert!(!required(var), "{var}=required but {why}");
    eprintln!("SKIPPED: {why} (set {var}=required to make this fail)");
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

// ---------------------------------------------------------------- SoftHSM2

/// A SoftHSM2 token in a temp dir.
struct SoftHsm {
    dir: tempfile::TempDir,
    module: PathBuf,
}

impl SoftHsm {
    fn new() -> Option<SoftHsm> {
        let module = std::env::var_os("SEALVAULT_SOFTHSM_MODULE")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/usr/lib/softhsm/libsofthsm2.so".into());
        if on_path("softhsm2-util").is_none() || !module.exists() {
            unavailable(
                "SEALVAULT_TEST_HSM",
                "SoftHSM2 is not installed (apt-get install softhsm2)",
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tokens")).unwrap();
        let conf = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.path().join("tokens").display()
        );
        std::fs::write(dir.path().join("softhsm2.conf"), conf).unwrap();
        let hsm = SoftHsm { dir, module };
        hsm.util(&[
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ]);
        Some(hsm)
    }

    fn conf(&self) -> String {
        self.dir.path().join("softhsm2.conf").display().to_string()
    }

    fn tokens(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    fn util(&self, args: &[&str]) -> String {
        let out = Command::new("softhsm2-util")
            .args(args)
            .env("SOFTHSM2_CONF", self.conf())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "softhsm2-util {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The `[[master_keys]]` table of a pkcs11 member.
    fn member(&self, id: &str, active: bool) -> String {
        format!(
            "[[master_keys]]\nid = \"{id}\"\nprovider = \"pkcs11\"\nmodule = \"{}\"\ntoken_label = \"{TOKEN}\"\nkey_label = \"{KEY_LABEL}\"\npin_env = \"SEALVAULT_TEST_HSM_PIN\"\nactive = {active}\n",
            self.module.display()
        )
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("SOFTHSM2_CONF".into(), self.conf()),
            ("SEALVAULT_TEST_HSM_PIN".into(), PIN.into()),
        ]
    }

    /// Moves the token directory away (`softhsm2-util --delete-token`
    /// removes exactly this directory) and returns a copy to restore.
    fn delete_token(&self) -> PathBuf {
        let backup = self.dir.path().join("tokens.bak");
        copy_dir(&self.tokens(), &backup);
        self.util(&["--delete-token", "--token", TOKEN]);
        backup
    }

    fn restore_token(&self, backup: &Path) {
        std::fs::remove_dir_all(self.tokens()).ok();
        copy_dir(backup, &self.tokens());
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---------------------------------------------------------------- moto

/// A `moto_server` on a loopback port.
struct Moto {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn moto_bin() -> Option<PathBuf> {
    std::env::var_os("SEALVAULT_MOTO_SERVER")
        .map(PathBuf::from)
        .or_else(|| on_path("moto_server"))
}

impl Moto {
    fn start(port: u16) -> Option<Moto> {
        let Some(bin) = moto_bin() else {
            unavailable(
                "SEALVAULT_TEST_KMS",
                "moto_server not found (pip install 'moto[server]'; or SEALVAULT_MOTO_SERVER)",
            );
            return None;
        };
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto { child, port })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A KMS call in moto's JSON protocol (moto does not check signatures).
    async fn call(&self, target: &str, body: Value) -> Value {
        let response = reqwest::Client::new()
            .post(self.url())
            .header("X-Amz-Target", format!("TrentService.{target}"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "moto {target}");
        response.json().await.unwrap()
    }

    /// A symmetric key and an alias naming it.
    async fn create_key(&self, alias: &str) -> String {
        let key = self.call("CreateKey", json!({})).await;
        let id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
        self.call(
            "CreateAlias",
            json!({"AliasName": alias, "TargetKeyId": id}),
        )
        .await;
        id
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy that forwards to `target` while up and, while down, cuts
/// every open connection and refuses new ones: KMS unreachable.
struct FaultProxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl FaultProxy {
    async fn start(target: u16) -> FaultProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up2, open2) = (up.clone(), open.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open2.lock().unwrap().push(task.abort_handle());
            }
        });
        FaultProxy { port, up, open }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for task in self.open.lock().unwrap().drain(..) {
                task.abort();
            }
        }
    }
}

fn kms_member(id: &str, endpoint: &str, alias: &str, active: bool) -> String {
    format!(
        "[[master_keys]]\nid = \"{id}\"\nprovider = \"aws-kms\"\nkey_id = \"{alias}\"\nregion = \"us-east-1\"\nendpoint = \"{endpoint}\"\nactive = {active}\n"
    )
}

fn kms_env() -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret-3b9f0d"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

// ---------------------------------------------------------------- helpers

/// A config file holding `members`; the server's env uses it alone (the
/// harness's `SEALVAULT_MASTER_KEY_FILE` is removed).
fn use_config(s: &mut Server, members: &str, env: &[(String, String)]) {
    let path = s
        .dir
        .path()
        .join(format!("keys-{}.toml", rand::random::<u32>()));
    std::fs::write(&path, members).unwrap();
    s.extra_env = vec![
        ("SEALVAULT_MASTER_KEY_FILE".into(), String::new()),
        ("SEALVAULT_CONFIG".into(), path.display().to_string()),
    ];
    s.extra_env.extend(env.iter().cloned());
}

/// Starts a server (SQLite) whose keyring is `members`.
async fn start(members: &str, env: &[(String, String)]) -> Server {
    start_on(Db::Sqlite, members, env).await.unwrap()
}

/// Starts a server on `db` whose keyring is `members` (`None`: no PostgreSQL).
async fn start_on(db: Db, members: &str, env: &[(String, String)]) -> Option<Server> {
    let path = std::env::temp_dir().join(format!("sealvault-keys-{}.toml", rand::random::<u64>()));
    std::fs::write(&path, members).unwrap();
    let path = path.display().to_string();
    let mut all: Vec<(&str, &str)> = vec![
        ("SEALVAULT_MASTER_KEY_FILE", ""),
        ("SEALVAULT_CONFIG", &path),
    ];
    all.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Server::start_with(db, &all).await
}

/// Runs a verb with the server's environment: `(success, stdout, stderr)`.
fn verb(s: &Server, args: &[&str]) -> (bool, String, String) {
    let out = s.command(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn put(
    s: &Server,
    token: &str,
    user: &str,
    dk: &DataKey,
    item: &str,
    version: u64,
) -> StatusCode {
    let cfg = config(item);
    let env = seal_cred(dk, user, item, version + 1, &cfg, "hunter2");
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/v1/credentials/{item}"),
            Some(token),
            Some(put_body(&env, None, &cfg, version)),
        )
        .await;
    assert!(
        status.is_success() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{body}"
    );
    status
}

/// Every credential `item-0..n` of the user opens with the current key.
async fn opens_all(s: &Server, user: &str, token: &str, n: usize) -> DataKey {
    let dk = s.current_key(token).await;
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
        let envelope = sealvault::encoding::b64_decode(got["envelope"].as_str().unwrap()).unwrap();
        let cfg = config(&item);
        let info = ItemInfo::credential(user, &item, 1, &cfg);
        open(&dk, &envelope, &info.context().unwrap()).unwrap();
    }
    dk
}

const GUARDED: [&str; 4] = ["data_keys", "vault_keys", "credentials", "session_states"];

/// Every row of the tables a data key guards, as SQLite literals (or
/// PostgreSQL JSON rows).
async fn snapshot(s: &Server) -> Vec<String> {
    if s.db == Db::Postgres {
        return pg_snapshot(s).await;
    }
    let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
        .await
        .unwrap();
    let mut out = Vec::new();
    for table in GUARDED {
        let columns: Vec<String> =
            sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|r| format!("quote({})", r.get::<String, _>(0)))
                .collect();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY rowid",
            columns.join(" || ',' || ")
        );
        for row in sqlx::query(&sql).fetch_all(&mut conn).await.unwrap() {
            out.push(format!("{table}: {}", row.get::<String, _>(0)));
        }
    }
    out
}

async fn pg_snapshot(s: &Server) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
    let mut out = Vec::new();
    for table in GUARDED {
        let sql = format!("SELECT row_to_json(t)::text AS r FROM {table} t ORDER BY r");
        for row in sqlx::query(&sql).fetch_all(&mut conn).await.unwrap() {
            out.push(format!("{table}: {}", row.get::<String, _>(0)));
        }
    }
    out
}

/// A session-state row, written directly (the bytes only need to stay put).
async fn add_session_state(s: &Server, user: &str, item: &str, dk: &DataKey) {
    let sql = "INSERT INTO session_states (user_id, item_id, version, key_id, envelope, fencing_token, created_at, last_used_at) VALUES ($1, $2, 1, $3, $4, 1, 1, 1)";
    let (key_id, envelope) = (dk.key_id().as_bytes().to_vec(), vec![0x5au8; 64]);
    if s.db == Db::Postgres {
        let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
        let query = sqlx::query(sql)
            .bind(user)
            .bind(item)
            .bind(key_id)
            .bind(envelope);
        query.execute(&mut conn).await.unwrap();
        return;
    }
    let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
        .await
        .unwrap();
    let query = sqlx::query(sql)
        .bind(user)
        .bind(item)
        .bind(key_id)
        .bind(envelope);
    query.execute(&mut conn).await.unwrap();
}

async fn audit_actions(s: &Server) -> Vec<Value> {
    let (status, audit) = s
        .call(Method::GET, "/v1/audit", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    audit["items"].as_array().unwrap().clone()
}

/// Waits for at least `n` `master_key.failure` records (written after the
/// failing request's transaction ended).
async fn failures_audited(s: &Server, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let failures: Vec<Value> = audit_actions(s)
            .await
            .into_iter()
            .filter(|r| r["action"] == "master_key.failure")
            .collect();
        if failures.len() >= n || Instant::now() > deadline {
            return failures;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Neither the data key (base64, as the API and KMS carry it, or hex) nor
/// anything else secret reached the trace-level logs.
fn no_key_in_logs(s: &Server, dk: &DataKey) {
    let logs = s.logs();
    assert!(!logs.is_empty());
    for form in [
        common::b64(dk.expose_secret()),
        hex::encode(dk.expose_secret()),
    ] {
        assert!(!logs.contains(&form), "data key in the logs");
    }
}

async fn healthz(s: &Server) -> (StatusCode, Value) {
    s.call(Method::GET, "/healthz", None, None).await
}

async fn metrics(s: &Server) -> String {
    let response = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

/// Waits until `/healthz` answers `want`.
async fn wait_health(s: &Server, want: StatusCode) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = healthz(s).await;
        if status == want {
            return body;
        }
        assert!(Instant::now() < deadline, "healthz stayed {status}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn lease_token(s: &Server, token: &str, item: &str) -> String {
    let (status, lease) = s
        .call(
            Method::POST,
            &format!("/v1/credentials/{item}/sessions"),
            Some(token),
            Some(json!({"purpose": "login", "ttl_secs": 600})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{lease}");
    lease["lease_token"].as_str().unwrap().to_owned()
}

async fn access(s: &Server, token: &str, item: &str, lease: &str) -> (StatusCode, Value) {
    s.call_h(
        Method::POST,
        &format!("/v1/credentials/{item}/access"),
        Some(token),
        &[("x-lease-token", lease)],
        None,
    )
    .await
}

/// With the provider down: ingest, access, rotate, the current key and a
/// new lease answer 503 `master_key_unavailable`, nothing stored changes,
/// `/healthz` is degraded, and the failures are audited and counted.
async fn fails_closed(
    s: &Server,
    user: &str,
    token: &str,
    dk: &DataKey,
    lease: &str,
    member: &str,
) {
    let before = snapshot(s).await;
    let audited = failures_audited(s, 0).await.len();
    let unavailable = |status: StatusCode, body: &Value| {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "master_key_unavailable", "{body}");
    };
    let health = wait_health(s, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(health["status"], "degraded", "{health}");
    let bad = health["master_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == member)
        .unwrap();
    assert_eq!(bad["status"], "unavailable", "{health}");
    assert!(bad["reason"].as_str().unwrap().contains(member), "{health}");
    // Ingest (a new version of item-0).
    let cfg = config("item-0");
    let env = seal_cred(dk, user, "item-0", 2, &cfg, "hunter3");
    let (status, body) = s
        .call(
            Method::PUT,
            "/v1/credentials/item-0",
            Some(token),
            Some(put_body(&env, None, &cfg, 1)),
        )
        .await;
    unavailable(status, &body);
    let (status, body) = access(s, token, "item-0", lease).await;
    unavailable(status, &body);
    let (status, body) = s
        .call(
            Method::POST,
            "/v1/keys/rotate",
            Some(token),
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    unavailable(status, &body);
    let (status, body) = s
        .call(Method::GET, "/v1/keys/current", Some(token), None)
        .await;
    unavailable(status, &body);
    let (status, body) = s
        .call(
            Method::POST,
            "/v1/credentials/item-1/sessions",
            Some(token),
            Some(json!({"purpose": "use"})),
        )
        .await;
    unavailable(status, &body);
    assert_eq!(
        snapshot(s).await,
        before,
        "rows changed while the master key was down"
    );
    let failures = failures_audited(s, audited + 5).await;
    assert!(
        failures.len() >= audited + 5,
        "failures not audited: {failures:?}"
    );
    let last = failures.last().unwrap();
    assert_eq!(last["detail"]["mk_id"], member, "{last}");
    assert_eq!(last["user_id"], user, "{last}");
    let text = metrics(s).await;
    assert!(
        text.contains(&format!(
            "member=\"{member}\",op=\"unwrap\",result=\"unavailable\""
        )),
        "{text}"
    );
    // an HSM's or KMS's unwraps are never cached (DEPLOY.md "Data-key cache")
    assert!(
        text.contains("sealvault_data_key_cache_hits_total 0\n"),
        "{text}"
    );
}

/// Back up: health ok, every flow works again without a restart.
async fn recovers(s: &Server, user: &str, token: &str, dk: &DataKey, lease: &str, n: usize) {
    wait_health(s, StatusCode::OK).await;
    assert_eq!(&s.current_key(token).await, dk);
    let (status, body) = access(s, token, "item-0", lease).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        put(s, token, user, dk, "item-new", 0).await,
        StatusCode::CREATED
    );
    opens_all(s, user, token, n).await;
}

/// A user with a data key and `n` credentials `item-0..n`.
async fn fill(s: &Server, n: usize) -> (String, String, DataKey) {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    for i in 0..n {
        assert_eq!(
            put(s, &token, &user, &dk, &format!("item-{i}"), 0).await,
            StatusCode::CREATED
        );
    }
    (user, token, dk)
}

/// Latency of `member`: `n` `GET /v1/keys/current` (one unwrap each) and
/// `n / 5` data-key creations for fresh users (one wrap each), as the
/// client sees them, and the provider's own means from `/metrics`.
async fn measure(s: &Server, token: &str, member: &str, n: u32) -> String {
    let start = Instant::now();
    for _ in 0..n {
        s.current_key(token).await;
    }
    let get = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
    for _ in 0..n / 5 {
        let (_, token) = s.user_with(&["keys:use"], None).await;
        s.data_key(&token).await;
    }
    format!(
        "{member}: GET /v1/keys/current {get:.2} ms/call over {n}; provider unwrap {:.3} ms, wrap {:.3} ms (means from /metrics)",
        provider_latency(s, member, "unwrap").await,
        provider_latency(s, member, "wrap").await,
    )
}

/// The provider's own mean latency from `/metrics` (seconds → ms).
async fn provider_latency(s: &Server, member: &str, op: &str) -> f64 {
    let text = metrics(s).await;
    let pick = |suffix: &str| -> f64 {
        text.lines()
            .find(|l| {
                l.starts_with(&format!("sealvault_master_key_duration_seconds_{suffix}"))
                    && l.contains(&format!("member=\"{member}\",op=\"{op}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    pick("sum") / pick("count") * 1000.0
}

// ---------------------------------------------------------------- pkcs11

#[cfg(feature = "pkcs11")]
mod pkcs11 {
    use super::*;

    /// Creates the key on the token (twice: the second finds it), then
    /// starts a server whose keyring is that one pkcs11 member.
    async fn hsm_server(hsm: &SoftHsm) -> Server {
        hsm_server_on(hsm, Db::Sqlite).await.unwrap()
    }

    async fn hsm_server_on(hsm: &SoftHsm, db: Db) -> Option<Server> {
        let members = hsm.member("hsm-1", true);
        let (ok, out, err) = standalone(&members, &hsm.env(), &["hsm-init"]);
        assert!(ok, "{err}");
        assert!(out.contains("created AES-256 key"), "{out}");
        let (ok, out, _) = standalone(&members, &hsm.env(), &["hsm-init"]);
        assert!(ok && out.contains("already present"), "{out}");
        start_on(db, &members, &hsm.env()).await
    }

    /// Runs the binary with keyring `members` and no database of its own.
    fn standalone(
        members: &str,
        env: &[(String, String)],
        args: &[&str],
    ) -> (bool, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(&path, members).unwrap();
        let out = Command::new(common::bin())
            .args(args)
            .env_remove("SEALVAULT_MASTER_KEY_FILE")
            .env_remove("RUST_LOG")
            .env("SEALVAULT_CONFIG", &path)
            .env("SEALVAULT_LISTEN", "127.0.0.1:0")
            .env(
                "SEALVAULT_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("v.db").display()),
            )
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn round_trip_restart_token_deleted_and_recovery_sqlite() {
        round_trip_restart_token_deleted_and_recovery(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn round_trip_restart_token_deleted_and_recovery_postgres() {
        round_trip_restart_token_deleted_and_recovery(Db::Postgres).await;
    }

    async fn round_trip_restart_token_deleted_and_recovery(db: Db) {
        let Some(hsm) = SoftHsm::new() else { return };
        let Some(mut s) = hsm_server_on(&hsm, db).await else {
            return;
        };
        let n = 5;
        let (user, token, dk) = fill(&s, n).await;
        assert_eq!(opens_all(&s, &user, &token, n).await, dk);
        // The data key is wrapped by the HSM member.
        let rows = snapshot(&s).await;
        assert!(
            rows.iter()
                .any(|r| r.starts_with("data_keys:") && r.contains("hsm-1")),
            "{rows:?}"
        );
        // Restart: everything still opens.
        s.kill();
        s.spawn();
        assert_eq!(opens_all(&s, &user, &token, n).await, dk);
        let (status, health) = healthz(&s).await;
        assert_eq!(status, StatusCode::OK, "{health}");
        eprintln!(
            "LATENCY pkcs11 (SoftHSM2, {db:?}) {}",
            measure(&s, &token, "hsm-1", 200).await
        );
        let lease = lease_token(&s, &token, "item-0").await;
        add_session_state(&s, &user, "item-0", &dk).await;
        // The token disappears mid-run.
        let backup = hsm.delete_token();
        fails_closed(&s, &user, &token, &dk, &lease, "hsm-1").await;
        // It comes back (the same token files): the vault recovers alone.
        hsm.restore_token(&backup);
        recovers(&s, &user, &token, &dk, &lease, n).await;
        // No PIN in any log line.
        assert!(!s.logs().contains(PIN), "PIN logged");
        no_key_in_logs(&s, &dk);
        let text = metrics(&s).await;
        for op in ["unwrap", "probe"] {
            assert!(
                text.contains(&format!("member=\"hsm-1\",op=\"{op}\",result=\"ok\"")),
                "{text}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrong_pin_refuses_to_start() {
        let Some(hsm) = SoftHsm::new() else { return };
        let members = hsm.member("hsm-1", true);
        let (ok, _, err) = standalone(&members, &hsm.env(), &["hsm-init"]);
        assert!(ok, "{err}");
        let wrong = "wrong-pin-58c1e0a7";
        let mut env = hsm.env();
        env[1].1 = wrong.into();
        let (ok, _, err) = standalone(&members, &env, &["serve"]);
        assert!(!ok);
        assert!(err.contains("refused the user PIN"), "{err}");
        assert!(err.contains("hsm-1"), "{err}");
        assert!(
            !err.contains(wrong) && !err.contains(PIN),
            "PIN in the message: {err}"
        );
        // No key on the token: a clear message too.
        let missing = members.replace(KEY_LABEL, "missing-key");
        let (ok, _, err) = standalone(&missing, &hsm.env(), &["serve"]);
        assert!(!ok);
        assert!(
            err.contains("no AES key labelled \"missing-key\"") && err.contains("hsm-init"),
            "{err}"
        );
    }

    /// The wrapped key is bound to its user by the AAD: a row moved to
    /// another user does not open (503, audited), and nothing changes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrapped_key_moved_to_another_user_does_not_open() {
        let Some(hsm) = SoftHsm::new() else { return };
        let s = hsm_server(&hsm).await;
        let (_, token_a, _) = fill(&s, 0).await;
        let (user_b, token_b, _) = fill(&s, 0).await;
        let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
            .await
            .unwrap();
        sqlx::query("UPDATE data_keys SET wrapped = (SELECT wrapped FROM data_keys WHERE user_id != ?) WHERE user_id = ?")
            .bind(&user_b)
            .bind(&user_b)
            .execute(&mut conn)
            .await
            .unwrap();
        let (status, body) = s
            .call(Method::GET, "/v1/keys/current", Some(&token_b), None)
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        s.current_key(&token_a).await;
        let text = metrics(&s).await;
        assert!(
            text.contains("member=\"hsm-1\",op=\"unwrap\",result=\"refused\""),
            "{text}"
        );
        // A refused unwrap is not an outage.
        assert_eq!(healthz(&s).await.0, StatusCode::OK);
    }
}

// ---------------------------------------------------------------- aws-kms

#[cfg(feature = "aws-kms")]
mod kms {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn round_trip_restart_unreachable_recovery_and_key_gone() {
        let port = free_port();
        let Some(moto) = Moto::start(port) else {
            return;
        };
        moto.create_key("alias/sealvault-test").await;
        let proxy = FaultProxy::start(moto.port).await;
        let members = kms_member("kms-1", &proxy.url(), "alias/sealvault-test", true);
        let mut s = start(&members, &kms_env()).await;
        let n = 5;
        let (user, token, dk) = fill(&s, n).await;
        s.kill();
        s.spawn();
        assert_eq!(opens_all(&s, &user, &token, n).await, dk);
        eprintln!(
            "LATENCY aws-kms (moto) {}",
            measure(&s, &token, "kms-1", 100).await
        );
        let lease = lease_token(&s, &token, "item-0").await;
        add_session_state(&s, &user, "item-0", &dk).await;
        // KMS unreachable (the fault proxy refuses and cuts connections).
        proxy.set_up(false);
        fails_closed(&s, &user, &token, &dk, &lease, "kms-1").await;
        proxy.set_up(true);
        recovers(&s, &user, &token, &dk, &lease, n).await;
        // moto restarted: its keys are gone, so is ours. Still closed.
        drop(moto);
        let moto = Moto::start(port).unwrap();
        let (status, body) = s
            .call(Method::GET, "/v1/keys/current", Some(&token), None)
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("master_key_unavailable")
            ),
            "{body}"
        );
        let health = wait_health(&s, StatusCode::SERVICE_UNAVAILABLE).await;
        assert!(
            health["master_keys"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("NotFoundException"),
            "{health}"
        );
        drop(moto);
        assert!(
            !s.logs().contains("testing-secret-3b9f0d"),
            "AWS secret logged"
        );
        no_key_in_logs(&s, &dk);
    }
}

// ---------------------------------------------------------------- migration

#[cfg(all(feature = "pkcs11", feature = "aws-kms"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyring_migrates_file_to_hsm_to_kms() {
    let Some(hsm) = SoftHsm::new() else { return };
    let Some(moto) = Moto::start(free_port()) else {
        return;
    };
    moto.create_key("alias/sealvault-migrate").await;
    let file_key = std::env::temp_dir().join(format!("sealvault-mk-{}", rand::random::<u64>()));
    std::fs::write(&file_key, [9u8; 32]).unwrap();
    let file = |active: bool| {
        format!(
            "[[master_keys]]\nid = \"file-1\"\nprovider = \"file\"\npath = \"{}\"\nactive = {active}\n",
            file_key.display()
        )
    };
    let kms = |active: bool| kms_member("kms-1", &moto.url(), "alias/sealvault-migrate", active);
    let mut env = hsm.env();
    env.extend(kms_env());
    let mut s = start(&file(true), &env).await;
    let n = 4;
    let (user_a, token_a, dk_a) = fill(&s, n).await;
    let (user_b, token_b, dk_b) = fill(&s, n).await;
    eprintln!(
        "LATENCY file {}",
        measure(&s, &token_a, "file-1", 200).await
    );
    let mk_ids = |rows: &[String]| -> Vec<String> {
        rows.iter()
            .filter(|r| r.starts_with("data_keys:") || r.starts_with("vault_keys:"))
            .map(|r| {
                r.split(',')
                    .find(|f| {
                        f.starts_with("'file-1'")
                            || f.starts_with("'hsm-1'")
                            || f.starts_with("'kms-1'")
                    })
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    };
    for (members, to, from) in [
        (
            format!("{}{}", file(false), hsm.member("hsm-1", true)),
            "hsm-1",
            "file-1",
        ),
        (
            format!("{}{}", hsm.member("hsm-1", false), kms(true)),
            "kms-1",
            "hsm-1",
        ),
    ] {
        s.kill();
        use_config(&mut s, &members, &env);
        if to == "hsm-1" {
            let (ok, _, err) = verb(&s, &["hsm-init"]);
            assert!(ok, "{err}");
        }
        let (ok, out, err) = verb(&s, &["rotate-master-key"]);
        assert!(ok, "{err}");
        // Two users' data keys, the 40 of `measure`, audit and inbound.
        assert!(out.contains("re-wrapped 44 keys"), "{out}");
        assert!(
            out.contains(&format!("no longer used: [\"{from}\"]")),
            "{out}"
        );
        let ids = mk_ids(&snapshot(&s).await);
        assert_eq!(ids, vec![format!("'{to}'"); 44], "every key under {to}");
        // The old member retired: the server runs on the new one alone.
        let only = if to == "hsm-1" {
            hsm.member("hsm-1", true)
        } else {
            kms(true)
        };
        use_config(&mut s, &only, &env);
        s.spawn();
        assert_eq!(opens_all(&s, &user_a, &token_a, n).await, dk_a);
        assert_eq!(opens_all(&s, &user_b, &token_b, n).await, dk_b);
        let (status, health) = healthz(&s).await;
        assert_eq!(status, StatusCode::OK, "{health}");
        assert_eq!(health, json!({"status": "ok"}));
    }
    let (ok, out, err) = verb(&s, &["verify-audit"]);
    assert!(ok, "{out}{err}");
    let rotations = audit_actions(&s)
        .await
        .iter()
        .filter(|r| r["action"] == "master_key.rotate")
        .count();
    assert_eq!(rotations, 2);
    std::fs::remove_file(file_key).ok();
}

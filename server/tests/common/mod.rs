//! Test harness: a real `sealvault-server` process on an ephemeral port, on
//! a temp SQLite file or a throwaway PostgreSQL database, with a reqwest
//! client and a few sealing helpers.
//!
//! PostgreSQL: `SEALVAULT_TEST_DATABASE_URL` (a server URL; a database is
//! created per test) if set, else a cluster started once per test binary
//! from the PostgreSQL 15 binaries (as the `postgres` user when root). When
//! neither works the test prints why and is skipped, unless
//! `SEALVAULT_TEST_POSTGRES=required`, which makes it fail.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod pg;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running server.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db: Db,
    pub database_url: String,
    pub logs: Arc<Mutex<String>>,
    pub client: reqwest::Client,
    pub extra_env: Vec<(String, String)>,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_sealvault-server")
}

impl Server {
    /// Starts a server on `db`; `None` when PostgreSQL is unavailable and not required.
    pub async fn start(db: Db) -> Option<Server> {
        Self::start_with(db, &[]).await
    }

    pub async fn start_with(db: Db, env: &[(&str, &str)]) -> Option<Server> {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("vault.db").display()),
            Db::Postgres => pg::fresh_database().await?,
        };
        std::fs::write(dir.path().join("master.key"), [7u8; 32]).unwrap();
        let mut server = Server {
            child: None,
            base: String::new(),
            dir,
            db,
            database_url,
            logs: Arc::new(Mutex::new(String::new())),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            extra_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        server.spawn();
        Some(server)
    }

    /// A handle on a vault the test runs in-process (`app::Embedded`):
    /// the same helpers, no child process.
    pub fn attached(base: String, dir: tempfile::TempDir, db: Db, database_url: String) -> Server {
        Server {
            child: None,
            base,
            dir,
            db,
            database_url,
            logs: Arc::new(Mutex::new(String::new())),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
            extra_env: Vec::new(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_remove("RUST_LOG")
            .env("SEALVAULT_DATABASE_URL", &self.database_url)
            .env(
                "SEALVAULT_MASTER_KEY_FILE",
                self.dir.path().join("master.key"),
            )
            .env("SEALVAULT_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("SEALVAULT_LOG", "trace,sqlx=trace,hyper=trace");
        for (k, v) in &self.extra_env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        cmd
    }

    /// (Re)starts the process and waits for `listening on`.
    pub fn spawn(&mut self) {
        let mut child = self
            .command(&["serve"])
            .env("SEALVAULT_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let logs = self.logs.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(pos) = line.find("listening on ")
                    && let Some(tx) = tx.take()
                {
                    let addr = line[pos + 13..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    let _ = tx.send(addr);
                }
                let mut logs = logs.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!("server did not start:\n{}", self.logs.lock().unwrap());
            });
        self.base = format!("http://{addr}");
        self.child = Some(child);
    }

    /// Another server process on the same database and master key: a
    /// replica, as several pods behind one load balancer would run.
    pub fn replica(&self) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            self.dir.path().join("master.key"),
            dir.path().join("master.key"),
        )
        .unwrap();
        let mut replica = Server {
            child: None,
            base: String::new(),
            dir,
            db: self.db,
            database_url: self.database_url.clone(),
            logs: Arc::new(Mutex::new(String::new())),
            client: self.client.clone(),
            extra_env: self.extra_env.clone(),
        };
        replica.spawn();
        replica
    }

    /// SIGKILLs the process.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// The SMTP listener's `host:port` (`SEALVAULT_SMTP_LISTEN` set), from
    /// its `smtp listening on` log line.
    pub fn smtp_addr(&self) -> String {
        for _ in 0..100 {
            if let Some(addr) = self.logs().lines().find_map(|l| {
                let at = l.find("smtp listening on ")?;
                l[at + 18..].split_whitespace().next().map(str::to_owned)
            }) {
                return addr;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no SMTP listener in the log:\n{}", self.logs());
    }
}

/// Whether `swaks` runs here; without it, prints why (the caller skips) or
/// fails when `SEALVAULT_TEST_SMTP=required`.
pub fn swaks_available() -> bool {
    let ok = Command::new("swaks")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let required = std::env::var("SEALVAULT_TEST_SMTP").is_ok_and(|v| v == "required");
        assert!(
            !required,
            "swaks is required (SEALVAULT_TEST_SMTP=required) but not installed"
        );
        eprintln!("skipping: swaks is not installed (apt-get install swaks)");
    }
    ok
}

impl Server {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_h(method, path, token, &[], body).await
    }

    pub async fn call_h(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map(|b| b.to_string());
        let (status, text) = self.call_text(method, path, token, headers, body).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A request whose JSON body, when given, is sent as is:
    /// `(status, body text)`.
    pub async fn call_text(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, String) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
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
        (status, response.text().await.unwrap())
    }

    /// Creates a user and a token with `scopes` (and `items`): `(user_id, token)`.
    pub async fn user_with(&self, scopes: &[&str], items: Option<Vec<&str>>) -> (String, String) {
        let (status, user) = self
            .call(
                Method::POST,
                "/v1/users",
                Some(ADMIN_TOKEN),
                Some(json!({"name": "u"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let user_id = user["id"].as_str().unwrap().to_owned();
        let token = self.token(&user_id, scopes, items).await;
        (user_id, token)
    }

    pub async fn token(&self, user_id: &str, scopes: &[&str], items: Option<Vec<&str>>) -> String {
        let body = json!({"name": "t", "scopes": scopes, "items": items, "ttl_secs": null});
        let (status, token) = self
            .call(
                Method::POST,
                &format!("/v1/users/{user_id}/tokens"),
                Some(ADMIN_TOKEN),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{token}");
        token["token"].as_str().unwrap().to_owned()
    }

    /// Creates the user's data key.
    pub async fn data_key(&self, token: &str) -> sealvault::DataKey {
        let (status, key) = self.call(Method::POST, "/v1/keys", Some(token), None).await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        sealvault::DataKey::from_api(
            key["key_id"].as_str().unwrap(),
            key["key"].as_str().unwrap(),
        )
        .unwrap()
    }

    pub async fn current_key(&self, token: &str) -> sealvault::DataKey {
        let (status, key) = self
            .call(Method::GET, "/v1/keys/current", Some(token), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{key}");
        sealvault::DataKey::from_api(
            key["key_id"].as_str().unwrap(),
            key["key"].as_str().unwrap(),
        )
        .unwrap()
    }

    pub fn db_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub const ALL_SCOPES: &[&str] = &[
    "keys:use",
    "keys:rotate",
    "secrets:write",
    "secrets:access",
    "sessions",
];

pub fn config(name: &str) -> Value {
    json!({"name": name, "login_url": "https://portal.acme.test/login"})
}

pub fn b64(bytes: &[u8]) -> String {
    sealvault::encoding::b64_encode(bytes)
}

/// Seals a credential for `user`/`item` at `version` with `config`.
pub fn seal_cred(
    dk: &sealvault::DataKey,
    user: &str,
    item: &str,
    version: u64,
    config: &Value,
    secret: &str,
) -> Vec<u8> {
    let info = sealvault::ItemInfo::credential(user, item, version, config);
    let plaintext = json!({"username": "alice", "password": secret, "fields": {}}).to_string();
    sealvault::seal_item(dk, &info, &sealvault::Context::new(), plaintext.as_bytes()).unwrap()
}

pub fn seal_totp(
    dk: &sealvault::DataKey,
    user: &str,
    item: &str,
    version: u64,
    uri: &str,
) -> Vec<u8> {
    let info = sealvault::ItemInfo::totp_seed(user, item, version);
    sealvault::seal_item(dk, &info, &sealvault::Context::new(), uri.as_bytes()).unwrap()
}

pub fn put_body(
    envelope: &[u8],
    totp: Option<&[u8]>,
    config: &Value,
    expected_version: u64,
) -> Value {
    let mut body =
        json!({"envelope": b64(envelope), "config": config, "expected_version": expected_version});
    if let Some(totp) = totp {
        body["totp_envelope"] = json!(b64(totp));
    }
    body
}

/// Runs `f` on SQLite and on PostgreSQL (skipped there when unavailable).
#[macro_export]
macro_rules! both_dbs {
    ($name:ident, config = $toml:expr, $body:expr) => {
        mod $name {
            use super::*;

            async fn start(db: common::Db) -> Option<common::Server> {
                let file = std::env::temp_dir()
                    .join(format!("sealvault-test-{}.toml", rand::random::<u64>()));
                std::fs::write(&file, $toml).unwrap();
                let path = file.to_string_lossy().to_string();
                common::Server::start_with(db, &[("SEALVAULT_CONFIG", path.as_str())]).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(start(common::Db::Sqlite).await.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(server) = start(common::Db::Postgres).await else {
                    return;
                };
                ($body)(server).await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server = common::Server::start(common::Db::Sqlite).await.unwrap();
                ($body)(server).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(server) = common::Server::start(common::Db::Postgres).await else {
                    return;
                };
                ($body)(server).await;
            }
        }
    };
}

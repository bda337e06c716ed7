//! `vault_load`: a load generator for `sealvault-server` (benches/README.md,
//! section "Server"; `make bench-server`).
//!
//! Starts `sealvault-server serve` (the release binary beside this one, or
//! `--server-bin`) on a fresh SQLite file in a temp dir (or on
//! `--database-url`), with a random master key file and admin token; makes a
//! user, a token and a data key; then, with `--clients` concurrent HTTP
//! clients for `--secs` seconds per phase, measures:
//!
//! - `me`: `GET /v1/me` (authenticated, reads only, writes no audit record);
//! - `keys/current`: `GET /v1/keys/current`, the cheapest authenticated
//!   route that writes one audit record (one unwrap, one audit append) — the
//!   baseline the targets compare with;
//! - `ingest`: `PUT /v1/credentials/{id}` of new items sealed here by
//!   `seal_item`;
//! - `access (held lease)`: `POST …/access` within a login lease each client
//!   holds;
//! - `lease cycle`: acquire + access + release;
//! - `rotate`: the time of `POST /v1/keys/rotate` over `--rotate-items`
//!   credentials of another user.
//!
//! Latencies are per HTTP request, measured in the client. Nothing secret
//! is printed.

#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use reqwest::{Method, StatusCode};
use sealvault::{Context, DataKey, ItemInfo, seal_item};
use serde_json::{Value, json};

#[derive(Parser, Clone)]
#[command(about = "Load generator for sealvault-server")]
struct Args {
    /// The server binary (default: `sealvault-server` beside this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Database URL (default: a fresh SQLite file in a temp dir).
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Credentials the rotated user holds.
    #[arg(long, default_value_t = 10_000)]
    rotate_items: usize,
    /// Rotations to time.
    #[arg(long, default_value_t = 3)]
    rotations: usize,
}

/// The server process; killed on drop.
struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).unwrap();
    hex::encode(bytes)
}

fn start_server(args: &Args, admin: &str) -> Server {
    let bin = args.server_bin.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .unwrap()
            .with_file_name("sealvault-server")
    });
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("master.key");
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).unwrap();
    std::fs::write(&key_file, key).unwrap();
    // The limits that would throttle one benchmarking token are lifted.
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        "[limits]\nitems_per_user = 1000000\naccess_per_minute = 1000000000\ntotp_per_minute = 1000000000\n",
    )
    .unwrap();
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("vault.db").display()));
    let mut child = Command::new(&bin)
        .arg("serve")
        .env_remove("RUST_LOG")
        .env("SEALVAULT_CONFIG", &config)
        .env("SEALVAULT_LISTEN", "127.0.0.1:0")
        .env("SEALVAULT_DATABASE_URL", url)
        .env("SEALVAULT_MASTER_KEY_FILE", &key_file)
        .env("SEALVAULT_ADMIN_TOKEN", admin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(pos) = line.find("listening on ")
                && let Some(tx) = tx.take()
            {
                let addr = line[pos + 13..].split_whitespace().next().unwrap_or("");
                let _ = tx.send(addr.to_owned());
            }
            if line.contains(" WARN ") || line.contains(" ERROR ") {
                eprintln!("server: {line}");
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not print `listening on`");
    Server {
        child,
        base: format!("http://{addr}"),
        _dir: dir,
    }
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: Arc<str>,
}

impl Api {
    /// One request: status, JSON body, latency.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        lease: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value, Duration) {
        let headers: Vec<(&str, &str)> = lease.map(|l| ("x-lease-token", l)).into_iter().collect();
        self.call_h(method, path, token, &headers, body).await
    }

    /// One request with extra headers: status, JSON body, latency.
    async fn call_h(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (StatusCode, Value, Duration) {
        let started = Instant::now();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let elapsed = started.elapsed();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value, elapsed)
    }

    /// A request that must answer `want`; its latency.
    async fn expect(
        &self,
        want: StatusCode,
        method: Method,
        path: &str,
        token: &str,
        lease: Option<&str>,
        body: Option<&Value>,
    ) -> (Value, Duration) {
        let (status, value, elapsed) = self.call(method.clone(), path, token, lease, body).await;
        if status != want {
            // Error bodies carry a code and a safe message, never secrets.
            panic!(
                "{method} {path}: {status}, expected {want}: {}",
                value["error"]
            );
        }
        (value, elapsed)
    }
}

/// A user with every scope and its data key: `(user_id, token, key)`.
async fn user(api: &Api, admin: &str, name: &str) -> (String, String, DataKey) {
    let (user, _) = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/v1/users",
            admin,
            None,
            Some(&json!({"name": name})),
        )
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let scopes = [
        "keys:use",
        "keys:rotate",
        "secrets:write",
        "secrets:access",
        "sessions",
    ];
    let (token, _) = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &format!("/v1/users/{id}/tokens"),
            admin,
            None,
            Some(&json!({"name": "bench", "scopes": scopes, "items": null, "ttl_secs": null})),
        )
        .await;
    let token = token["token"].as_str().unwrap().to_owned();
    let (key, _) = api
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/v1/keys",
            &token,
            None,
            None,
        )
        .await;
    let key = DataKey::from_api(
        key["key_id"].as_str().unwrap(),
        key["key"].as_str().unwrap(),
    )
    .unwrap();
    (id, token, key)
}

fn config() -> Value {
    json!({"name": "bench", "login_url": "https://portal.example.test/login"})
}

/// The PUT body of a new item, sealed here.
fn put_body(key: &DataKey, user: &str, item: &str) -> Value {
    let config = config();
    let plaintext = json!({"username": "bench-user", "password": random_hex(16), "fields": {}});
    let info = ItemInfo::credential(user, item, 1, &config);
    let envelope = seal_item(
        key,
        &info,
        &Context::new(),
        plaintext.to_string().as_bytes(),
    )
    .unwrap();
    json!({
        "envelope": sealvault::encoding::b64_encode(&envelope),
        "config": config,
        "expected_version": 0,
    })
}

/// CPU seconds (user + system) of a process, from `/proc/<pid>/stat`.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| {
        f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

struct Stats {
    name: String,
    ops: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    server_cpu: f64,
    client_cpu: f64,
}

fn fmt_ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

impl Stats {
    fn quantile(&self, q: f64) -> Duration {
        let i = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }

    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    fn reqs_per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn row(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        format!(
            "| {} | {:.0} | {:.0} | {} | {} | {} | {:.0} % | {:.0} % |",
            self.name,
            self.ops_per_sec(),
            self.reqs_per_sec(),
            fmt_ms(self.quantile(0.5)),
            fmt_ms(self.quantile(0.99)),
            fmt_ms(self.latencies.last().copied().unwrap_or_default()),
            100.0 * self.server_cpu / secs,
            100.0 * self.client_cpu / secs,
        )
    }
}

/// Runs `op(client, n)` in `clients` loops for `secs`; each op returns the
/// latencies of its requests.
async fn phase<F, Fut>(name: &str, server_pid: &str, clients: usize, secs: u64, op: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Vec<Duration>> + Send,
{
    let (server0, client0) = (cpu_secs(server_pid), cpu_secs("self"));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                latencies.extend(op(client, n).await);
                n += 1;
            }
            (n, latencies)
        }));
    }
    let mut stats = Stats {
        name: name.to_owned(),
        ops: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        server_cpu: 0.0,
        client_cpu: 0.0,
    };
    for task in tasks {
        let (n, latencies) = task.await.unwrap();
        stats.ops += n;
        stats.latencies.extend(latencies);
    }
    stats.elapsed = started.elapsed();
    stats.server_cpu = cpu_secs(server_pid) - server0;
    stats.client_cpu = cpu_secs("self") - client0;
    stats.latencies.sort_unstable();
    eprintln!("  {}", stats.row());
    stats
}

/// Ingests `items` new credentials with `clients` concurrent clients.
async fn fill(
    api: &Api,
    user: &str,
    token: &str,
    key: &Arc<DataKey>,
    prefix: &str,
    items: usize,
    clients: usize,
) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, user, token, key, prefix, next) = (
            api.clone(),
            user.to_owned(),
            token.to_owned(),
            key.clone(),
            prefix.to_owned(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items {
                    break;
                }
                let item = format!("{prefix}{i:05}");
                let body = put_body(&key, &user, &item);
                api.expect(
                    StatusCode::CREATED,
                    Method::PUT,
                    &format!("/v1/credentials/{item}"),
                    &token,
                    None,
                    Some(&body),
                )
                .await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

async fn acquire(api: &Api, token: &str, item: &str, ttl: u64) -> (String, String, Duration) {
    let (grant, elapsed) = grant(api, token, item, "login", ttl).await;
    (
        grant["session_id"].as_str().unwrap().to_owned(),
        grant["lease_token"].as_str().unwrap().to_owned(),
        elapsed,
    )
}

/// A lease grant with `purpose`, and its latency.
async fn grant(api: &Api, token: &str, item: &str, purpose: &str, ttl: u64) -> (Value, Duration) {
    api.expect(
        StatusCode::CREATED,
        Method::POST,
        &format!("/v1/credentials/{item}/sessions"),
        token,
        None,
        Some(&json!({"purpose": purpose, "ttl_secs": ttl})),
    )
    .await
}

/// Lease acquire + release (purpose `use`) on one item per client.
async fn lease_phase(api: &Api, token: &Arc<str>, pid: &str, c: usize, secs: u64) -> Stats {
    let (a, t) = (api.clone(), token.clone());
    phase("acquire + release (use)", pid, c, secs, move |client, _| {
        let (a, t) = (a.clone(), t.clone());
        async move {
            let item = format!("cyc-{client:05}");
            let (g, l1) = grant(&a, &t, &item, "use", 60).await;
            let sid = g["session_id"].as_str().unwrap();
            let lease = g["lease_token"].as_str().unwrap();
            let path = format!("/v1/sessions/{sid}");
            let (_, l2) = a
                .expect(
                    StatusCode::NO_CONTENT,
                    Method::DELETE,
                    &path,
                    &t,
                    Some(lease),
                    None,
                )
                .await;
            vec![l1, l2]
        }
    })
    .await
}

/// The size of the browser state the state phase saves and loads.
const STATE_BYTES: usize = 100 * 1024;

/// One held lease per client: its item, lease token, fencing token and
/// state key.
struct StateLease {
    item: String,
    lease: String,
    fencing: String,
    key: DataKey,
}

/// Session-state save (sealed here under the state key) + load of a
/// 100 KiB state, one item and one held lease per client.
async fn state_phase(
    api: &Api,
    token: &Arc<str>,
    user: &Arc<str>,
    pid: &str,
    c: usize,
    secs: u64,
) -> Stats {
    let mut leases = Vec::new();
    for client in 0..c {
        let item = format!("acc-{client:05}");
        let (g, _) = grant(api, token, &item, "use", 3600).await;
        let key = DataKey::from_api(
            g["state_key_id"].as_str().unwrap(),
            g["state_key"].as_str().unwrap(),
        )
        .unwrap();
        leases.push(StateLease {
            item,
            lease: g["lease_token"].as_str().unwrap().to_owned(),
            fencing: g["fencing_token"].to_string(),
            key,
        });
    }
    let leases = Arc::new(leases);
    let state = json!({"cookies": [], "origins": [{"origin": "https://portal.example.test",
        "localStorage": [{"name": "blob", "value": random_hex(STATE_BYTES / 2)}]}]})
    .to_string();
    let state: Arc<str> = state.into();
    let (a, t, u) = (api.clone(), token.clone(), user.clone());
    let name = format!("state save + load ({} KiB)", STATE_BYTES / 1024);
    phase(&name, pid, c, secs, move |client, n| {
        let (a, t, u, l, state) = (a.clone(), t.clone(), u.clone(), leases.clone(), state.clone());
        async move {
            let l = &l[client];
            let info = ItemInfo::session_state(&u, &l.item, n + 1);
            let envelope = seal_item(&l.key, &info, &Context::new(), state.as_bytes()).unwrap();
            let body = json!({"envelope": sealvault::encoding::b64_encode(&envelope), "expected_version": n});
            let path = format!("/v1/credentials/{}/session-state", l.item);
            let headers = [("x-lease-token", l.lease.as_str()), ("x-fencing-token", l.fencing.as_str())];
            let (status, value, l1) = a.call_h(Method::PUT, &path, &t, &headers, Some(&body)).await;
            assert!(status.is_success(), "PUT state: {status} {}", value["error"]);
            let (status, value, l2) = a.call_h(Method::GET, &path, &t, &headers[..1], None).await;
            assert_eq!(status, StatusCode::OK, "GET state: {}", value["error"]);
            assert_eq!(value["version"], n + 1);
            vec![l1, l2]
        }
    })
    .await
}

// One client thread: the load generator shares the two cores with the
// server, and a second runtime thread only took CPU from it.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let admin = random_hex(24);
    let server = start_server(&args, &admin);
    let pid = server.child.id().to_string();
    let api = Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.clients * 2)
            .timeout(Duration::from_secs(300))
            .build()
            .unwrap(),
        base: server.base.as_str().into(),
    };
    let (c, secs) = (args.clients, args.secs);
    eprintln!(
        "server on {} ({}); {c} clients, {secs} s per phase; load average {}",
        server.base,
        args.database_url
            .as_deref()
            .map_or("sqlite, temp dir", |_| "--database-url"),
        loadavg()
    );
    let (user_id, token, key) = user(&api, &admin, "bench").await;
    let (user_id, token, key): (Arc<str>, Arc<str>, Arc<DataKey>) =
        (user_id.into(), token.into(), Arc::new(key));

    // Items for the access phases: one per client, so no lease waits.
    fill(&api, &user_id, &token, &key, "acc-", c, c).await;
    fill(&api, &user_id, &token, &key, "cyc-", c, c).await;
    let mut held = Vec::new();
    for client in 0..c {
        let (_, lease, _) = acquire(&api, &token, &format!("acc-{client:05}"), 3600).await;
        held.push(lease);
    }
    // One leased access, opened here with the released envelope key.
    let (access, _) = api
        .expect(
            StatusCode::OK,
            Method::POST,
            "/v1/credentials/acc-00000/access",
            &token,
            Some(&held[0]),
            None,
        )
        .await;
    let envelope = sealvault::encoding::b64_decode(access["envelope"].as_str().unwrap()).unwrap();
    let ek = sealvault::EnvelopeKey::from_api(access["envelope_key"].as_str().unwrap()).unwrap();
    let info = ItemInfo::credential(&user_id, "acc-00000", 1, &access["config"]);
    sealvault::open_with_envelope_key(&ek, &envelope, &info.context().unwrap())
        .expect("the leased envelope opens");
    let held: Arc<Vec<String>> = Arc::new(held);

    eprintln!("| phase | ops/s | requests/s | p50 | p99 | max | server CPU | client CPU |");
    eprintln!("|---|---|---|---|---|---|---|---|");
    let mut results = Vec::new();
    let (a, t) = (api.clone(), token.clone());
    results.push(
        phase("GET /v1/me (no audit)", &pid, c, secs, move |_, _| {
            let (a, t) = (a.clone(), t.clone());
            async move {
                vec![
                    a.expect(StatusCode::OK, Method::GET, "/v1/me", &t, None, None)
                        .await
                        .1,
                ]
            }
        })
        .await,
    );
    let (a, t) = (api.clone(), token.clone());
    let baseline = phase(
        "GET /v1/keys/current (audited)",
        &pid,
        c,
        secs,
        move |_, _| {
            let (a, t) = (a.clone(), t.clone());
            async move {
                vec![
                    a.expect(
                        StatusCode::OK,
                        Method::GET,
                        "/v1/keys/current",
                        &t,
                        None,
                        None,
                    )
                    .await
                    .1,
                ]
            }
        },
    )
    .await;
    let (a, t, u, k) = (api.clone(), token.clone(), user_id.clone(), key.clone());
    let ingest = phase(
        "PUT /v1/credentials/{id} (ingest)",
        &pid,
        c,
        secs,
        move |client, n| {
            let (a, t, u, k) = (a.clone(), t.clone(), u.clone(), k.clone());
            async move {
                let item = format!("ing-{client}-{n}");
                let body = put_body(&k, &u, &item);
                vec![
                    a.expect(
                        StatusCode::CREATED,
                        Method::PUT,
                        &format!("/v1/credentials/{item}"),
                        &t,
                        None,
                        Some(&body),
                    )
                    .await
                    .1,
                ]
            }
        },
    )
    .await;
    let (a, t, h) = (api.clone(), token.clone(), held.clone());
    let access = phase(
        "POST …/access (held lease)",
        &pid,
        c,
        secs,
        move |client, _| {
            let (a, t, h) = (a.clone(), t.clone(), h.clone());
            async move {
                let path = format!("/v1/credentials/acc-{client:05}/access");
                vec![
                    a.expect(
                        StatusCode::OK,
                        Method::POST,
                        &path,
                        &t,
                        Some(&h[client]),
                        None,
                    )
                    .await
                    .1,
                ]
            }
        },
    )
    .await;
    let (a, t) = (api.clone(), token.clone());
    let cycle = phase(
        "acquire + access + release",
        &pid,
        c,
        secs,
        move |client, _| {
            let (a, t) = (a.clone(), t.clone());
            async move {
                let item = format!("cyc-{client:05}");
                let (sid, lease, l1) = acquire(&a, &t, &item, 60).await;
                let path = format!("/v1/credentials/{item}/access");
                let (_, l2) = a
                    .expect(StatusCode::OK, Method::POST, &path, &t, Some(&lease), None)
                    .await;
                let path = format!("/v1/sessions/{sid}");
                let (_, l3) = a
                    .expect(
                        StatusCode::NO_CONTENT,
                        Method::DELETE,
                        &path,
                        &t,
                        Some(&lease),
                        None,
                    )
                    .await;
                vec![l1, l2, l3]
            }
        },
    )
    .await;
    results.extend([baseline, ingest, access, cycle]);
    let targeted = results.len();
    results.push(lease_phase(&api, &token, &pid, c, secs).await);
    results.push(state_phase(&api, &token, &user_id, &pid, c, secs).await);

    // Rotation over `rotate_items` credentials of a second user.
    let mut rotations = Vec::new();
    if args.rotations > 0 {
        rotations = rotate(&api, &admin, &pid, &args).await;
    }
    report(&results, targeted, &rotations, &args);
}

/// Fills a second user with `--rotate-items` credentials and times
/// `--rotations` rotations of its data key.
async fn rotate(api: &Api, admin: &str, pid: &str, args: &Args) -> Vec<Duration> {
    let c = args.clients;
    let (r_user, r_token, r_key) = user(api, admin, "rotated").await;
    let started = Instant::now();
    fill(
        api,
        &r_user,
        &r_token,
        &Arc::new(r_key),
        "rot-",
        args.rotate_items,
        c,
    )
    .await;
    let fill_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "filled {} credentials in {fill_secs:.1} s ({:.0}/s)",
        args.rotate_items,
        args.rotate_items as f64 / fill_secs
    );
    let mut rotations = Vec::new();
    for _ in 0..args.rotations {
        let (current, _) = api
            .expect(
                StatusCode::OK,
                Method::GET,
                "/v1/keys/current",
                &r_token,
                None,
                None,
            )
            .await;
        let server0 = cpu_secs(pid);
        let (rotated, elapsed) = api
            .expect(
                StatusCode::OK,
                Method::POST,
                "/v1/keys/rotate",
                &r_token,
                None,
                Some(&json!({"expected_key_id": current["key_id"]})),
            )
            .await;
        assert_eq!(rotated["reencrypted"], args.rotate_items);
        let cpu = cpu_secs(pid) - server0;
        eprintln!(
            "rotate {} credentials: {:.3} s (server CPU {cpu:.2} s)",
            args.rotate_items,
            elapsed.as_secs_f64()
        );
        rotations.push(elapsed);
    }
    rotations
}

fn report(results: &[Stats], targeted: usize, rotations: &[Duration], args: &Args) {
    let (c, secs) = (args.clients, args.secs);

    println!("load average at the end: {}", loadavg());
    println!();
    println!(
        "| phase ({c} clients, {secs} s) | ops/s | requests/s | p50 | p99 | max | server CPU | client CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for stats in results {
        println!("{}", stats.row());
    }
    let base = results[1].reqs_per_sec();
    println!();
    println!(
        "Targets (baseline: {}, {base:.0} requests/s):",
        results[1].name
    );
    for stats in &results[2..targeted] {
        let ratio = stats.reqs_per_sec() / base;
        println!(
            "- {}: {:.0} % of the baseline's request rate ({}); p99 {} ({})",
            stats.name,
            100.0 * ratio,
            if ratio >= 0.5 { "met" } else { "MISSED" },
            fmt_ms(stats.quantile(0.99)),
            if stats.quantile(0.99) < Duration::from_millis(10) {
                "met"
            } else {
                "MISSED"
            },
        );
    }
    for elapsed in rotations {
        println!(
            "- rotation of {} credentials: {:.3} s ({})",
            args.rotate_items,
            elapsed.as_secs_f64(),
            if *elapsed < Duration::from_secs(2) {
                "met"
            } else {
                "MISSED"
            }
        );
    }
}

//! A throwaway PostgreSQL for tests: `SEALVAULT_TEST_DATABASE_URL`, else a
//! cluster from the PostgreSQL 15 binaries started once per test binary
//! (stopped by a watchdog when the test process exits). One database per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sqlx::Connection;

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();

fn required() -> bool {
    std::env::var("SEALVAULT_TEST_POSTGRES").is_ok_and(|v| v == "required")
}

fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL binary, as `postgres` when we are root.
fn pg_command(bin: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(bin).args(args);
        cmd
    } else {
        let mut cmd = Command::new(bin);
        cmd.args(args);
        cmd
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}

fn start_cluster() -> Result<String, String> {
    let bin = bin_dir().ok_or("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")?;
    let dir = std::env::temp_dir().join(format!(
        "sealvault-pg-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if is_root() {
        let ok = Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot chown the cluster folder to postgres".into());
        }
    }
    let data = dir.join("data");
    let data_s = data.to_string_lossy().to_string();
    let status = pg_command(
        &bin.join("initdb"),
        &[
            "-D",
            &data_s,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status()
    .map_err(|e| format!("initdb: {e}"))?;
    if !status.success() {
        return Err(format!("initdb failed ({status})"));
    }
    let port = free_port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300",
        dir.display()
    );
    let log = dir.join("log").to_string_lossy().to_string();
    let status = pg_command(
        &bin.join("pg_ctl"),
        &["-D", &data_s, "-o", &options, "-l", &log, "-w", "start"],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status()
    .map_err(|e| format!("pg_ctl: {e}"))?;
    if !status.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!("pg_ctl start failed ({status}): {log}"));
    }
    // Stop the cluster when this test process ends.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser} {pg_ctl} -D {data_s} -m immediate stop; rm -rf {dir}",
        pid = std::process::id(),
        runuser = if is_root() {
            "runuser -u postgres --"
        } else {
            ""
        },
        pg_ctl = bin.join("pg_ctl").display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(stop)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

fn server_url() -> Result<String, String> {
    SERVER
        .get_or_init(|| match std::env::var("SEALVAULT_TEST_DATABASE_URL") {
            Ok(url) => Ok(url),
            Err(_) => start_cluster(),
        })
        .clone()
}

/// A new empty database's URL; `None` (test skipped) when PostgreSQL is
/// unavailable, a panic when it is required.
pub async fn fresh_database() -> Option<String> {
    let base = match server_url() {
        Ok(base) => base,
        Err(reason) if required() => panic!("PostgreSQL required but unavailable: {reason}"),
        Err(reason) => {
            eprintln!("skipping PostgreSQL test: {reason}");
            return None;
        }
    };
    let name = format!("sv_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(conn) => conn,
        Err(e) if required() => panic!("PostgreSQL required but unreachable: {e}"),
        Err(e) => {
            eprintln!("skipping PostgreSQL test: {e}");
            return None;
        }
    };
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let mut url = reqwest::Url::parse(&base).unwrap();
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

//! Canary secrets never reach logs or database files; `verify-audit`
//! catches edited and removed records.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{ALL_SCOPES, Db, Server, put_body, seal_cred, seal_totp};
use reqwest::{Method, StatusCode};
use serde_json::json;

const CANARY: &str = "CANARY-pw-7f3a9c1e";
const CANARY_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn exercise(s: &Server) -> Vec<String> {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = json!({"name": "acme"});
    let uri = format!("otpauth://totp/ACME:a?secret={CANARY_SEED}&issuer=ACME");
    let body = put_body(
        &seal_cred(&dk, &user, "acme", 1, &cfg, CANARY),
        Some(&seal_totp(&dk, &user, "acme", 1, &uri)),
        &cfg,
        0,
    );
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
    let (_, grant) = s
        .call(
            Method::POST,
            "/v1/credentials/acme/sessions",
            Some(&token),
            Some(json!({"purpose": "login"})),
        )
        .await;
    let lt = grant["lease_token"].as_str().unwrap().to_owned();
    let (status, acc) = s
        .call_h(
            Method::POST,
            "/v1/credentials/acme/access",
            Some(&token),
            &[("x-lease-token", &lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .call_h(
            Method::POST,
            "/v1/credentials/acme/totp",
            Some(&token),
            &[("x-lease-token", &lt)],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rot) = s
        .call(
            Method::POST,
            "/v1/keys/rotate",
            Some(&token),
            Some(json!({"expected_key_id": dk.key_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let dk2 = s.current_key(&token).await;
    assert_eq!(dk2.key_id().to_hex(), rot["key_id"]);
    vec![
        CANARY.to_owned(),
        CANARY_SEED.to_owned(),
        token,
        lt,
        common::b64(dk.expose_secret()),
        common::b64(dk2.expose_secret()),
        acc["envelope_key"].as_str().unwrap().to_owned(),
        grant["state_key"].as_str().unwrap().to_owned(),
    ]
}

both_dbs!(canaries_never_leak, |s: Server| async move {
    let secrets = exercise(&s).await;
    let logs = s.logs();
    assert!(logs.contains("listening on"));
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs");
    }
    if s.db == Db::Sqlite {
        for file in s.db_files() {
            let bytes = std::fs::read(&file).unwrap();
            for secret in &secrets {
                assert!(
                    !contains(&bytes, secret.as_bytes()),
                    "a secret reached {}",
                    file.display()
                );
            }
        }
    }
});

fn verify(s: &Server) -> (bool, String) {
    let out = s
        .command(&["verify-audit"])
        .env("SEALVAULT_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn tamper(s: &Server, sql: &str) {
    use sqlx::Connection;
    match s.db {
        Db::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

both_dbs!(verify_audit_catches_edits, |s: Server| async move {
    exercise(&s).await;
    let (ok, out) = verify(&s);
    assert!(ok, "{out}");
    tamper(&s, "UPDATE audit_log SET detail = '{}' WHERE seq = 3").await;
    let (ok, out) = verify(&s);
    assert!(!ok && out.contains("record 3"), "{out}");
});

both_dbs!(verify_audit_catches_removal, |s: Server| async move {
    exercise(&s).await;
    tamper(&s, "DELETE FROM audit_log WHERE seq = 4").await;
    let (ok, out) = verify(&s);
    assert!(!ok && out.contains("record 4"), "{out}");
});

#[tokio::test]
async fn serve_refuses_without_master_key_and_dev_generates_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("v.db").display());
    let out = std::process::Command::new(common::bin())
        .arg("serve")
        .env_remove("SEALVAULT_MASTER_KEY_FILE")
        .env("SEALVAULT_DATABASE_URL", &url)
        .env("SEALVAULT_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no master key configured"));
    let mut child = std::process::Command::new(common::bin())
        .args(["serve", "--dev"])
        .env_remove("SEALVAULT_MASTER_KEY_FILE")
        .env("SEALVAULT_DATABASE_URL", &url)
        .env("SEALVAULT_LISTEN", "127.0.0.1:0")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let mut seen = String::new();
    while !seen.contains("listening on") {
        seen.push_str(&lines.next().unwrap().unwrap());
        seen.push('\n');
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.contains("DEVELOPMENT MODE"), "{seen}");
    assert!(dir.path().join("sealvault-dev-master.key").exists());
}

both_dbs!(master_key_rotation, |s: Server| async move {
    let mut s = s;
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    let dk = s.data_key(&token).await;
    let cfg = json!({"name": "acme"});
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
    s.kill();
    let old = s.dir.path().join("master.key");
    let new = s.dir.path().join("master2.key");
    std::fs::write(&new, sealvault::encoding::b64_encode(&[42u8; 32])).unwrap();
    let both = s.dir.path().join("both.toml");
    let member = |id: &str, path: &std::path::Path, active: bool| {
        format!(
            "[[master_keys]]\nid = \"{id}\"\nprovider = \"file\"\npath = \"{}\"\nactive = {active}\n",
            path.display()
        )
    };
    std::fs::write(
        &both,
        member("default", &old, false) + &member("mk2", &new, true),
    )
    .unwrap();
    let only_new = s.dir.path().join("new.toml");
    std::fs::write(&only_new, member("mk2", &new, true)).unwrap();
    let out = s
        .command(&["rotate-master-key"])
        .env_remove("SEALVAULT_MASTER_KEY_FILE")
        .env("SEALVAULT_CONFIG", &both)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-wrapped 3 keys"));
    // The old member is gone: the server starts on the new key alone and still unwraps.
    s.extra_env = vec![
        ("SEALVAULT_MASTER_KEY_FILE".into(), String::new()),
        ("SEALVAULT_CONFIG".into(), only_new.display().to_string()),
    ];
    s.spawn();
    assert_eq!(s.current_key(&token).await, dk);
    let (ok, out) = verify(&s);
    assert!(ok, "{out}");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_when_given_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipping: openssl cannot make a test certificate");
        return;
    }
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let env = [
        ("SEALVAULT_TLS_CERT", cert.as_str()),
        ("SEALVAULT_TLS_KEY", key.as_str()),
    ];
    let s = Server::start_with(Db::Sqlite, &env).await.unwrap();
    let https = s.base.replace("http://", "https://");
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let meta: serde_json::Value = client
        .get(format!("{https}/v1/meta"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(meta["limits"].is_object());
    assert!(
        s.logs().contains("scheme=\"https\"") || s.logs().contains("scheme=https"),
        "{}",
        s.logs()
    );
}

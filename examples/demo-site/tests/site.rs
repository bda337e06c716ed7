//! The demo site end to end over real sockets: a `reqwest` client with a
//! cookie jar stands in for the browser, a test SMTP sink (a raw TCP
//! listener speaking just enough SMTP) receives emailed codes, and a
//! loopback axum route stands in for the vault's Twilio webhook, checking
//! the signature with its own implementation.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Router};
use base64::Engine as _;
use demo_site::Config;
use demo_site::accounts::Account;
use hmac::{Hmac, Mac};
use sealvault::totp::{Algorithm, Totp};
use serde_json::{Value, json};
use sha1::Sha1;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

fn account(value: Value) -> Account {
    serde_json::from_value(value).unwrap()
}

fn accounts() -> Vec<Account> {
    vec![
        account(json!({"username": "alice", "password": "alice-pw", "kind": "password"})),
        account(
            json!({"username": "tina", "password": "tina-pw", "kind": "totp",
                       "totp_secret": TOTP_SECRET}),
        ),
        account(
            json!({"username": "erin", "password": "erin-pw", "kind": "email",
                       "email": "erin-7f3a@inbound.vault.test"}),
        ),
        account(
            json!({"username": "sam", "password": "sam-pw", "kind": "sms",
                       "phone": "+15005550001"}),
        ),
    ]
}

/// Starts the site in-process on a free loopback port; returns its base URL.
async fn start(config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = demo_site::app(config).unwrap();
    tokio::spawn(demo_site::serve(listener, router));
    format!("http://{addr}")
}

async fn start_default() -> String {
    start(Config {
        accounts: accounts(),
        ..Config::default()
    })
    .await
}

/// A browser stand-in: follows redirects, keeps cookies.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/login"))
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn submit_code(client: &reqwest::Client, base: &str, code: &str) -> reqwest::Response {
    client
        .post(format!("{base}/login/tfa"))
        .form(&[("code", code)])
        .send()
        .await
        .unwrap()
}

async fn stats(base: &str, user: &str) -> Value {
    reqwest::get(format!("{base}/admin/accounts/{user}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn admin_post(base: &str, path: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/admin/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Asserts the response is the dashboard of `user`.
async fn assert_dashboard(response: reqwest::Response, user: &str) {
    assert_eq!(response.url().path(), "/dashboard");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("<h1 id=\"dashboard\">Welcome, {user}</h1>")),
        "{html}"
    );
    assert!(html.contains("id=\"local\"") && html.contains("id=\"session\""));
    assert!(html.contains("localStorage.setItem(\"demo_pref\", \"dark\")"));
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn login_form_has_the_expected_fields() {
    let base = start_default().await;
    let response = reqwest::get(format!("{base}/login")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    for id in [
        "id=\"username\"",
        "id=\"password\"",
        "id=\"submit\"",
        "action=\"/login\"",
    ] {
        assert!(html.contains(id), "missing {id}");
    }
}

#[tokio::test]
async fn password_login_logout_and_dashboard_guard() {
    let base = start_default().await;
    let client = browser();
    // No session: the dashboard sends to the login form.
    let response = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/login");

    assert_dashboard(login(&client, &base, "alice", "alice-pw").await, "alice").await;
    // The cookie alone keeps the session: a visit is not a login.
    let response = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_dashboard(response, "alice").await;
    let s = stats(&base, "alice").await;
    assert_eq!(s["total_logins"], 1);
    assert_eq!(s["active_sessions"], 1);

    let response = client.post(format!("{base}/logout")).send().await.unwrap();
    assert_eq!(response.url().path(), "/login");
    let response = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/login");
    assert_eq!(stats(&base, "alice").await["active_sessions"], 0);

    // An unknown user gets the same error as a wrong password.
    let response = login(&client, &base, "nobody", "x").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("id=\"error\""));
}

#[tokio::test]
async fn five_failures_lock_until_unlocked() {
    let base = start_default().await;
    let client = browser();
    for attempt in 1..=5 {
        let response = login(&client, &base, "alice", "wrong").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
        assert!(response.text().await.unwrap().contains("id=\"error\""));
    }
    // Locked: even the right password is refused.
    let response = login(&client, &base, "alice", "alice-pw").await;
    assert_eq!(response.status(), StatusCode::LOCKED);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("id=\"error\"") && html.contains("locked"),
        "{html}"
    );
    let s = stats(&base, "alice").await;
    assert_eq!(s["locked"], true);
    assert_eq!(s["failed_attempts"], 5);
    assert_eq!(s["locked_attempts"], 1);
    assert_eq!(s["total_logins"], 0);

    let response = admin_post(&base, "accounts/alice/unlock", json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_dashboard(login(&client, &base, "alice", "alice-pw").await, "alice").await;
    let s = stats(&base, "alice").await;
    assert_eq!(s["locked"], false);
    assert_eq!(s["consecutive_failures"], 0);

    // Four failures then a success: the run of failures starts over.
    for _ in 0..4 {
        login(&browser(), &base, "alice", "wrong").await;
    }
    assert_dashboard(login(&browser(), &base, "alice", "alice-pw").await, "alice").await;
    login(&browser(), &base, "alice", "wrong").await;
    assert_eq!(stats(&base, "alice").await["locked"], false);
}

#[tokio::test]
async fn totp_login_and_a_used_code_is_refused() {
    let base = start_default().await;
    let totp = Totp::from_base32(TOTP_SECRET, 6, 5, Algorithm::Sha1).unwrap();
    let now = unix_now();
    let code = totp.at(now).unwrap();
    let step = totp.step(now).unwrap();

    let first = browser();
    let response = login(&first, &base, "tina", "tina-pw").await;
    assert_eq!(response.url().path(), "/login/tfa");
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"code\"") && html.contains("id=\"submit\""));
    assert_dashboard(submit_code(&first, &base, &code).await, "tina").await;

    // The same code again, from another browser: refused, counted.
    let second = browser();
    login(&second, &base, "tina", "tina-pw").await;
    let response = submit_code(&second, &base, &code).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("id=\"error\""));
    assert_eq!(stats(&base, "tina").await["failed_attempts"], 1);

    // The next step's code (within the ±1 drift) is fresh: accepted.
    let next = totp.at_step(step + 1).unwrap();
    assert_dashboard(submit_code(&second, &base, &next).await, "tina").await;
    // And a wrong one never is.
    let third = browser();
    login(&third, &base, "tina", "tina-pw").await;
    let response = submit_code(&third, &base, "000000").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let s = stats(&base, "tina").await;
    assert_eq!(s["total_logins"], 2);
    assert_eq!(s["failed_attempts"], 2);
}

/// A test SMTP sink: accepts every message and hands its raw DATA over.
async fn smtp_sink() -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(smtp_session(socket, tx.clone()));
        }
    });
    (addr, rx)
}

async fn smtp_session(socket: TcpStream, tx: mpsc::UnboundedSender<String>) {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await
        .unwrap();
    loop {
        line.clear();
        if read.read_line(&mut line).await.unwrap() == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("DATA") {
            write
                .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                .await
                .unwrap();
            let mut data = String::new();
            loop {
                line.clear();
                if read.read_line(&mut line).await.unwrap() == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            tx.send(data).unwrap();
            b"250 queued\r\n"
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await.unwrap();
            return;
        } else {
            b"250 ok\r\n"
        };
        write.write_all(reply).await.unwrap();
    }
}

/// The six digits after `prefix` in `text`.
fn code_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} in {text}"))
        + prefix.len();
    let code: String = text[start..].chars().take(6).collect();
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    code
}

#[tokio::test]
async fn email_code_arrives_by_smtp_and_completes_the_login() {
    let (smtp, mut mail) = smtp_sink().await;
    let base = start(Config {
        accounts: accounts(),
        smtp: Some(smtp.to_string()),
        ..Config::default()
    })
    .await;
    let client = browser();
    let response = login(&client, &base, "erin", "erin-pw").await;
    assert_eq!(response.url().path(), "/login/tfa");

    let message = tokio::time::timeout(Duration::from_secs(10), mail.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        message.contains("From: noreply@demo-site.test"),
        "{message}"
    );
    assert!(
        message.contains("To: erin-7f3a@inbound.vault.test"),
        "{message}"
    );
    assert!(
        message.contains("Subject: Your Demo Site sign-in code"),
        "{message}"
    );
    assert!(message.contains("text/html"), "{message}");
    let code = code_after(&message, "Your verification code is ");
    assert!(message.contains(&format!(
        "Your verification code is {code}. It expires in 10 minutes."
    )));

    let wrong = if code == "111111" { "222222" } else { "111111" };
    let response = submit_code(&client, &base, wrong).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_dashboard(submit_code(&client, &base, &code).await, "erin").await;
    let s = stats(&base, "erin").await;
    assert_eq!(s["total_logins"], 1);
    assert_eq!(s["failed_attempts"], 1);
}

#[tokio::test]
async fn email_login_fails_cleanly_without_smtp() {
    let base = start_default().await;
    let response = login(&browser(), &base, "erin", "erin-pw").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await.unwrap().contains("id=\"error\""));
    assert_eq!(stats(&base, "erin").await["logins_in_progress"], 0);
}

/// Twilio's signature, written again here so the site's is checked
/// against an independent implementation.
fn expected_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let data: String = std::iter::once(url.to_string())
        .chain(sorted.iter().map(|(k, v)| format!("{k}{v}")))
        .collect();
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn signatures_match_twilios_documented_example() {
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let params = [
        ("Digits", "1234"),
        ("To", "+18005551212"),
        ("From", "+14158675310"),
        ("Caller", "+14158675310"),
        ("CallSid", "CA1234567890ABCDE"),
    ];
    let expected = "GvWf1cFY/Q7PnoempGyD5oXAezc=";
    assert_eq!(
        demo_site::tfa::twilio_signature("12345", url, &params),
        expected
    );
    let owned: Vec<_> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(expected_signature("12345", url, &owned), expected);
}

const TWILIO_TOKEN: &str = "test-auth-token";

#[derive(Clone)]
struct Receiver {
    url: String,
    tx: mpsc::UnboundedSender<HashMap<String, String>>,
}

async fn twilio_webhook(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> StatusCode {
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if signature != expected_signature(TWILIO_TOKEN, &receiver.url, &params) {
        return StatusCode::FORBIDDEN;
    }
    receiver.tx.send(params.into_iter().collect()).unwrap();
    StatusCode::OK
}

/// A loopback stand-in for the vault's Twilio webhook.
async fn sms_receiver() -> (String, mpsc::UnboundedReceiver<HashMap<String, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/v1/inbound/sms/twilio",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = mpsc::unbounded_channel();
    let router = Router::new()
        .route("/v1/inbound/sms/twilio", post(twilio_webhook))
        .with_state(Receiver {
            url: url.clone(),
            tx,
        });
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, rx)
}

#[tokio::test]
async fn sms_code_arrives_as_a_signed_twilio_webhook() {
    let (url, mut texts) = sms_receiver().await;
    let base = start(Config {
        accounts: accounts(),
        twilio_url: Some(url.clone()),
        twilio_token: Some(TWILIO_TOKEN.into()),
        sms_from: Some("+15005550006".into()),
        ..Config::default()
    })
    .await;
    let client = browser();
    let response = login(&client, &base, "sam", "sam-pw").await;
    assert_eq!(response.url().path(), "/login/tfa");

    let text = tokio::time::timeout(Duration::from_secs(10), texts.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(text["From"], "+15005550006");
    assert_eq!(text["To"], "+15005550001");
    assert!(text["Body"].starts_with("Demo Site code: "));
    for (field, prefix) in [("MessageSid", "SM"), ("AccountSid", "AC")] {
        let sid = &text[field];
        assert!(sid.starts_with(prefix) && sid.len() == 34, "{field} {sid}");
        assert!(sid[2..].bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let code = code_after(&text["Body"], "Demo Site code: ");
    assert_dashboard(submit_code(&client, &base, &code).await, "sam").await;

    // Signed with another token, the receiver refuses it: the login says so.
    let base = start(Config {
        accounts: accounts(),
        twilio_url: Some(url),
        twilio_token: Some("another-token".into()),
        sms_from: Some("+15005550006".into()),
        ..Config::default()
    })
    .await;
    let response = login(&browser(), &base, "sam", "sam-pw").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn expired_sessions_send_back_to_login() {
    let base = start_default().await;
    let client = browser();
    assert_dashboard(login(&client, &base, "alice", "alice-pw").await, "alice").await;

    // Younger than a minute: kept.
    let response = admin_post(&base, "expire-sessions", json!({"older_than_secs": 60})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["expired"], 0);
    let response = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_dashboard(response, "alice").await;

    let response = admin_post(&base, "expire-sessions", json!({"older_than_secs": 0})).await;
    assert_eq!(response.json::<Value>().await.unwrap()["expired"], 1);
    let response = client
        .get(format!("{base}/dashboard"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/login");
    assert_eq!(stats(&base, "alice").await["active_sessions"], 0);
}

#[tokio::test]
async fn concurrent_sessions_and_proxies_are_counted() {
    let base = start_default().await;
    let one = browser();
    let two = browser();
    for (client, proxy) in [(&one, "proxy-a"), (&two, "proxy-b")] {
        let response = client
            .post(format!("{base}/login"))
            .header("X-Demo-Proxy", proxy)
            .form(&[("username", "alice"), ("password", "alice-pw")])
            .send()
            .await
            .unwrap();
        assert_dashboard(response, "alice").await;
    }
    let s = stats(&base, "alice").await;
    assert_eq!(s["active_sessions"], 2);
    assert_eq!(s["max_concurrent_sessions"], 2);
    let seen = s["proxies_seen"].as_array().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["proxy"], "proxy-a");
    assert_eq!(seen[1]["proxy"], "proxy-b");
    assert!(seen[0]["peer"].as_str().unwrap().starts_with("127.0.0.1:"));

    one.post(format!("{base}/logout")).send().await.unwrap();
    assert_dashboard(login(&one, &base, "alice", "alice-pw").await, "alice").await;
    let s = stats(&base, "alice").await;
    assert_eq!(s["active_sessions"], 2);
    assert_eq!(s["max_concurrent_sessions"], 2);
    assert_eq!(s["total_logins"], 3);
    assert_eq!(s["proxies_seen"][2]["proxy"], Value::Null);
    assert_eq!(s["overlapping_logins"], 0);

    // Reset: counters to zero, the maximum to what is active now.
    admin_post(&base, "reset", json!({})).await;
    let s = stats(&base, "alice").await;
    assert_eq!(s["total_logins"], 0);
    assert_eq!(s["max_concurrent_sessions"], 2);
    assert_eq!(s["proxies_seen"], json!([]));
}

#[tokio::test]
async fn overlapping_logins_are_counted() {
    let base = start_default().await;
    let totp = Totp::from_base32(TOTP_SECRET, 6, 5, Algorithm::Sha1).unwrap();
    let one = browser();
    login(&one, &base, "tina", "tina-pw").await;
    // The same browser starting over is not an overlap.
    login(&one, &base, "tina", "tina-pw").await;
    let s = stats(&base, "tina").await;
    assert_eq!(s["logins_in_progress"], 1);
    assert_eq!(s["overlapping_logins"], 0);

    // Another browser while the first waits for its code: an overlap.
    let two = browser();
    login(&two, &base, "tina", "tina-pw").await;
    let s = stats(&base, "tina").await;
    assert_eq!(s["logins_in_progress"], 2);
    assert_eq!(s["overlapping_logins"], 1);

    let step = totp.step(unix_now()).unwrap();
    assert_dashboard(
        submit_code(&one, &base, &totp.at_step(step).unwrap()).await,
        "tina",
    )
    .await;
    assert_dashboard(
        submit_code(&two, &base, &totp.at_step(step + 1).unwrap()).await,
        "tina",
    )
    .await;
    let s = stats(&base, "tina").await;
    assert_eq!(s["logins_in_progress"], 0);
    assert_eq!(s["active_sessions"], 2);
    assert_eq!(s["max_concurrent_sessions"], 2);
    assert_eq!(s["overlapping_logins"], 1);
}

#[tokio::test]
async fn admin_adds_accounts_and_refuses_bad_ones() {
    let base = start(Config::default()).await;
    let response = admin_post(
        &base,
        "accounts",
        json!({"username": "new", "password": "new-pw", "kind": "password"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_dashboard(login(&browser(), &base, "new", "new-pw").await, "new").await;

    for bad in [
        json!({"username": "t", "password": "p", "kind": "totp"}),
        json!({"username": "t", "password": "p", "kind": "totp", "totp_secret": "not base32!"}),
        json!({"username": "e", "password": "p", "kind": "email"}),
        json!({"username": "s", "password": "p", "kind": "sms", "phone": "555-1234"}),
    ] {
        let response = admin_post(&base, "accounts", bad.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let response = reqwest::get(format!("{base}/admin/accounts/t"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves() {
    let dir = std::env::temp_dir().join(format!("demo-site-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("accounts.json");
    std::fs::write(
        &file,
        r#"[{"username": "alice", "password": "alice-pw", "kind": "password"}]"#,
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_demo-site"))
        .args(["--listen", "127.0.0.1:0", "--accounts"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    let base = line
        .trim_end()
        .strip_prefix("demo-site listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert_dashboard(login(&browser(), &base, "alice", "alice-pw").await, "alice").await;
    child.kill().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

//! The Rust SDK's `Session::wait_for_tfa_code` against a real
//! `sealvault-server` process, on SQLite and on PostgreSQL: a waiter woken
//! by a signed email webhook and by mail sent with `swaks` to the SMTP
//! listener, an SMS code, a timeout, `ambiguous_recipient` as a typed
//! error, and the blocking client.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{ALL_SCOPES, Db, Server, swaks_available};
use sealvault::client::{Client, Credential, Purpose, TfaChannel, blocking};
use sealvault::wire::ErrorCode;
use sealvault_server::inbound::signature::sealvault_signature;
use serde_json::{Value, json};

const SECRET: &str = "inbound-webhook-secret-for-tests";

const ENV: &[(&str, &str)] = &[
    ("SEALVAULT_INBOUND_DOMAIN", "inbound.test"),
    ("SEALVAULT_SMS_NUMBERS", "+15550100001,+15550100002"),
    ("SEALVAULT_INBOUND_SECRET", SECRET),
    ("SEALVAULT_TWILIO_AUTH_TOKEN", "twilio-auth-token-for-tests"),
];

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(Server::start_with(Db::Sqlite, ENV).await.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(server) = Server::start_with(Db::Postgres, ENV).await else {
                    return;
                };
                ($body)(server).await;
            }
        }
    };
}

fn config(name: &str, method: &str) -> Value {
    json!({"name": name, "login_url": "https://portal.acme.test/login",
           "tfa": {"method": method},
           "concurrency": {"allow_multiple": true, "max_concurrent": 5}})
}

/// An owner client on a fresh user with a data key; writes `items` with
/// `method` and returns each one's assigned address or number.
async fn owner(s: &Server, method: &str, items: &[&str]) -> (Client, Vec<String>) {
    let (_, token) = s.user_with(ALL_SCOPES, None).await;
    let owner = Client::new(&s.base, &token).unwrap();
    owner.create_data_key().await.unwrap();
    let mut assigned = Vec::new();
    for item in items {
        let written = owner
            .put_credential(
                item,
                &Credential::new("alice", "pw"),
                None,
                &config(item, method),
            )
            .await
            .unwrap();
        let a = written.assigned;
        assigned.push(a.email.or(a.phone).expect("an address or a number"));
    }
    (owner, assigned)
}

fn email(to: &str, code: &str) -> String {
    format!(
        "From: Acme <no-reply@acme.test>\r\nTo: {to}\r\nSubject: Your Acme sign-in code\r\n\
         Message-ID: <{}@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hi,\r\n\r\nYour verification code is {code}.\r\n",
        rand::random::<u64>()
    )
}

async fn post_signed(base: &str, path: &str, content_type: &str, body: String) {
    let signature =
        sealvault_signature(SECRET.as_bytes(), sealvault_server::now(), body.as_bytes());
    let status = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", content_type)
        .header("x-sealvault-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 202, "{path}");
}

async fn post_sms(base: &str, to: &str, text: &str) {
    let id = format!("m{}", rand::random::<u64>());
    let body = json!({"from": "+15557770000", "to": to, "body": text, "id": id}).to_string();
    post_signed(base, "/v1/inbound/sms", "application/json", body).await;
}

both!(an_email_wakes_a_waiting_agent, |s: Server| async move {
    let (owner, addresses) = owner(&s, "EMAIL", &["acme"]).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    let base = s.base.clone();
    let to = addresses[0].clone();
    let poster = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        post_signed(
            &base,
            "/v1/inbound/email",
            "message/rfc822",
            email(&to, "739154"),
        )
        .await;
    });
    let started = Instant::now();
    let code = session
        .wait_for_tfa_code(Duration::from_secs(30))
        .await
        .unwrap()
        .expect("a code");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "woken, not timed out"
    );
    poster.await.unwrap();
    assert_eq!(code.code.as_ref().unwrap().expose_secret(), "739154");
    assert_eq!(code.channel, TfaChannel::Email);
    assert!((code.received_at - sealvault_server::now()).abs() < 60);
    let debug = format!("{code:?}");
    assert!(!debug.contains("739154"), "{debug}");
    assert_eq!(
        session.redact("the site wants 739154"),
        "the site wants [REDACTED]"
    );

    // Handed out once: the next wait sees nothing.
    let again = session
        .wait_for_tfa_code(Duration::from_secs(1))
        .await
        .unwrap();
    assert!(again.is_none());
});

both!(an_sms_code_reaches_the_waiter, |s: Server| async move {
    let (owner, numbers) = owner(&s, "SMS", &["bank"]).await;
    let session = owner.session("bank", Purpose::Login).await.unwrap();
    post_sms(&s.base, &numbers[0], "Your verification code is 482913.").await;
    let code = session
        .wait_for_tfa_code(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("a code");
    assert_eq!(code.code.as_ref().unwrap().expose_secret(), "482913");
    assert_eq!(code.channel, TfaChannel::Sms);
});

both!(a_timeout_returns_none, |s: Server| async move {
    let (owner, _) = owner(&s, "EMAIL", &["acme"]).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    let started = Instant::now();
    let none = session
        .wait_for_tfa_code(Duration::from_secs(2))
        .await
        .unwrap();
    assert!(none.is_none());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "{took:?}"
    );
    // Nothing waits at all with a zero timeout.
    assert!(
        session
            .wait_for_tfa_code(Duration::ZERO)
            .await
            .unwrap()
            .is_none()
    );
});

both!(an_ambiguous_text_is_a_typed_error, |s: Server| async move {
    // Two SMS credentials of one user share its number; both logging in.
    let (owner, numbers) = owner(&s, "SMS", &["a", "b"]).await;
    assert_eq!(numbers[0], numbers[1]);
    let a = owner.session("a", Purpose::Login).await.unwrap();
    let _b = owner.session("b", Purpose::Login).await.unwrap();
    let since = sealvault_server::now();
    post_sms(&s.base, &numbers[0], "Your verification code is 902211.").await;
    let err = a
        .wait_for_tfa_code_since(Duration::from_secs(5), since)
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::AmbiguousRecipient), "{err:?}");
    assert_eq!(err.code(), "ambiguous_recipient");
});

both!(no_login_phase_is_lease_required, |s: Server| async move {
    let (owner, _) = owner(&s, "EMAIL", &["acme"]).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    session.login_complete().await.unwrap();
    let err = session
        .wait_for_tfa_code(Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.is(ErrorCode::LeaseRequired), "{err:?}");
});

both!(the_blocking_client_waits_too, |s: Server| async move {
    let (owner, addresses) = owner(&s, "EMAIL", &["acme"]).await;
    let user = owner.user_id().await.unwrap();
    let token = s.token(&user, ALL_SCOPES, None).await;
    let base = s.base.clone();
    let to = addresses[0].clone();
    let (ready, leased) = tokio::sync::oneshot::channel();
    let waiter = tokio::task::spawn_blocking(move || {
        let client = blocking::Client::new(&base, &token).unwrap();
        let session = client.session("acme", Purpose::Login).unwrap();
        ready.send(()).unwrap();
        let started = Instant::now();
        let code = session
            .wait_for_tfa_code(Duration::from_secs(30))
            .unwrap()
            .expect("a code");
        let took = started.elapsed();
        assert!(session.wait_for_tfa_code(Duration::ZERO).unwrap().is_none());
        (code.code.unwrap().expose_secret().to_owned(), took)
    });
    leased.await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    post_signed(
        &s.base,
        "/v1/inbound/email",
        "message/rfc822",
        email(&to, "615243"),
    )
    .await;
    let (code, took) = waiter.await.unwrap();
    assert_eq!(code, "615243");
    assert!(took < Duration::from_secs(5), "{took:?}");
});

/// Mail to the credential's assigned address, sent with swaks through the
/// vault's SMTP listener, wakes an agent blocked in a 30 s wait in under 5 s.
async fn swaks_wakes_the_waiter(s: Server) {
    if !swaks_available() {
        return;
    }
    let (owner, addresses) = owner(&s, "EMAIL", &["acme"]).await;
    let session = owner.session("acme", Purpose::Login).await.unwrap();
    let smtp = s.smtp_addr();
    let to = addresses[0].clone();
    let sender = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_secs(1));
        let (host, port) = smtp.rsplit_once(':').unwrap();
        std::process::Command::new("swaks")
            .args(["--server", host, "--port", port, "--to", &to])
            .args(["--from", "no-reply@acme.test", "--helo", "mta.acme.test"])
            .args(["--header", "Subject: Your Acme sign-in code"])
            .args([
                "--body",
                "Your verification code is 604893. It expires in 10 minutes.",
            ])
            .output()
            .unwrap()
    });
    let started = Instant::now();
    let code = session
        .wait_for_tfa_code(Duration::from_secs(30))
        .await
        .unwrap()
        .expect("a code");
    let took = started.elapsed();
    let sent = sender.await.unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    assert_eq!(code.code.as_ref().unwrap().expose_secret(), "604893");
    assert_eq!(code.channel, TfaChannel::Email);
    assert!(took < Duration::from_secs(5), "woken after {took:?}");
    assert!(
        !s.logs().contains("604893"),
        "the code is in the vault's log"
    );
}

mod swaks_wakes_a_waiting_agent {
    use super::*;

    fn env() -> Vec<(&'static str, &'static str)> {
        ENV.iter()
            .copied()
            .chain([("SEALVAULT_SMTP_LISTEN", "127.0.0.1:0")])
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        swaks_wakes_the_waiter(Server::start_with(Db::Sqlite, &env()).await.unwrap()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(server) = Server::start_with(Db::Postgres, &env()).await else {
            return;
        };
        swaks_wakes_the_waiter(server).await;
    }
}

//! Inbound second factors (issue 9) against a real server process, on
//! SQLite and PostgreSQL: assigned addresses and numbers, the signed email
//! and SMS webhooks, Twilio's webhook (signature, replay, unknown number),
//! routing (held and `ambiguous_recipient`, the sender filter as
//! tie-break), the `tfa-code` long poll (woken mid-wait, one code for two
//! waiters, expiry, lease rules, isolation), and no code in logs or files.
//! The SMTP listener is driven by real clients in `inbound_smtp.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{ALL_SCOPES, Db, Server, put_body, seal_cred};
use reqwest::{Method, StatusCode};
use sealvault_server::inbound::signature::{sealvault_signature, twilio_signature};
use serde_json::{Value, json};
use sqlx::Connection;

const SECRET: &str = "inbound-webhook-secret-for-tests";
const TWILIO_TOKEN: &str = "twilio-auth-token-for-tests";
const NUMBER_1: &str = "+15550100001";
const NUMBER_2: &str = "+15550100002";

const ENV: &[(&str, &str)] = &[
    ("SEALVAULT_INBOUND_DOMAIN", "inbound.test"),
    ("SEALVAULT_SMS_NUMBERS", "+15550100001,+15550100002"),
    ("SEALVAULT_INBOUND_SECRET", SECRET),
    ("SEALVAULT_TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
];

async fn start(db: Db, extra: &[(&str, &str)]) -> Option<Server> {
    let env: Vec<(&str, &str)> = ENV.iter().chain(extra).copied().collect();
    Server::start_with(db, &env).await
}

fn email_config(name: &str, filter: Option<&str>) -> Value {
    let mut tfa = json!({"method": "EMAIL"});
    if let Some(filter) = filter {
        tfa["sender_filter"] = json!(filter);
    }
    json!({"name": name, "login_url": "https://portal.acme.test/login", "tfa": tfa,
           "concurrency": {"allow_multiple": true, "max_concurrent": 5}})
}

fn sms_config(name: &str, filter: Option<&str>) -> Value {
    let mut config = email_config(name, filter);
    config["tfa"]["method"] = json!("SMS");
    config
}

/// Writes `item` with `config` (version 1 unless `version` says otherwise).
async fn put(
    s: &Server,
    user: &str,
    token: &str,
    item: &str,
    config: &Value,
    expected: u64,
) -> (StatusCode, Value) {
    let dk = s.current_key(token).await;
    let body = put_body(
        &seal_cred(&dk, user, item, expected + 1, config, "pw"),
        None,
        config,
        expected,
    );
    s.call(
        Method::PUT,
        &format!("/v1/credentials/{item}"),
        Some(token),
        Some(body),
    )
    .await
}

/// A user with every scope and a data key.
async fn owner(s: &Server) -> (String, String) {
    let (user, token) = s.user_with(ALL_SCOPES, None).await;
    s.data_key(&token).await;
    (user, token)
}

/// Creates `item` and returns its `assigned` object.
async fn create(s: &Server, user: &str, token: &str, item: &str, config: &Value) -> Value {
    let (status, body) = put(s, user, token, item, config, 0).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["assigned"].clone()
}

/// A login lease on `item`: its token.
async fn login(s: &Server, token: &str, item: &str) -> String {
    let (status, g) = s
        .call(
            Method::POST,
            &format!("/v1/credentials/{item}/sessions"),
            Some(token),
            Some(json!({"purpose": "login", "ttl_secs": 120})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    g["lease_token"].as_str().unwrap().to_owned()
}

async fn tfa_code(
    s: &Server,
    token: &str,
    item: &str,
    lease: &str,
    query: &str,
) -> (StatusCode, Value) {
    s.call_h(
        Method::GET,
        &format!("/v1/credentials/{item}/tfa-code?{query}"),
        Some(token),
        &[("x-lease-token", lease)],
        None,
    )
    .await
}

/// A background long poll of `acme`'s tfa-code on the vault at `base`:
/// `(how long it blocked, the answer)`.
fn spawn_waiter(
    s: &Server,
    base: &str,
    token: &str,
    lease: &str,
    wait: u64,
) -> tokio::task::JoinHandle<(Duration, Value)> {
    let url = format!("{base}/v1/credentials/acme/tfa-code?wait={wait}");
    let (client, token, lease) = (s.client.clone(), token.to_owned(), lease.to_owned());
    tokio::spawn(async move {
        let started = Instant::now();
        let answer: Value = client
            .get(url)
            .bearer_auth(token)
            .header("x-lease-token", lease)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (started.elapsed(), answer)
    })
}

fn now() -> i64 {
    sealvault_server::now()
}

fn email(to: &str, from: &str, code: &str) -> String {
    format!(
        "From: Acme <{from}>\r\nTo: {to}\r\nSubject: Your Acme sign-in code\r\nMessage-ID: <{}@acme.test>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHi,\r\n\r\nYour Acme verification code is {code}.\r\n\
         It expires in 10 minutes. Order #20261128 is unrelated.\r\n",
        rand::random::<u64>()
    )
}

async fn post_email(s: &Server, raw: &str, signature: Option<String>) -> StatusCode {
    let mut request = s
        .client
        .post(format!("{}/v1/inbound/email", s.base))
        .header("content-type", "message/rfc822")
        .body(raw.to_owned());
    if let Some(signature) = signature {
        request = request.header("x-sealvault-signature", signature);
    }
    request.send().await.unwrap().status()
}

fn sign(body: &str) -> Option<String> {
    Some(sealvault_signature(
        SECRET.as_bytes(),
        now(),
        body.as_bytes(),
    ))
}

async fn post_sms(s: &Server, from: &str, to: &str, text: &str, id: &str) -> StatusCode {
    let body = json!({"from": from, "to": to, "body": text, "id": id}).to_string();
    s.client
        .post(format!("{}/v1/inbound/sms", s.base))
        .header("content-type", "application/json")
        .header("x-sealvault-signature", sign(&body).unwrap())
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

/// Posts Twilio's form with a signature under `token` (the URL as Twilio
/// would call it: the vault's own).
async fn post_twilio(s: &Server, token: &str, params: &[(String, String)]) -> StatusCode {
    let url = format!("{}/v1/inbound/sms/twilio", s.base);
    let signature = twilio_signature(token.as_bytes(), &url, params);
    s.client
        .post(url)
        .header("x-twilio-signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap()
        .status()
}

/// Rows in `table`.
async fn count(s: &Server, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match s.db {
        Db::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&s.database_url)
                .await
                .unwrap();
            sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
        }
        Db::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&s.database_url).await.unwrap();
            sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
        }
    }
}

macro_rules! both {
    ($name:ident, $extra:expr, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(start(Db::Sqlite, $extra).await.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(server) = start(Db::Postgres, $extra).await else {
                    return;
                };
                ($body)(server).await;
            }
        }
    };
}

both!(
    addresses_and_numbers_are_assigned_and_released,
    &[],
    |s: Server| async move {
        let (alice, alice_token) = owner(&s).await;
        let mail = create(
            &s,
            &alice,
            &alice_token,
            "mail",
            &email_config("mail", None),
        )
        .await;
        let address = mail["email"].as_str().unwrap();
        assert!(
            address.starts_with("sv-") && address.ends_with("@inbound.test"),
            "{mail}"
        );
        assert!(mail["phone"].is_null());
        let other = create(
            &s,
            &alice,
            &alice_token,
            "mail2",
            &email_config("mail2", None),
        )
        .await;
        assert_ne!(
            other["email"], mail["email"],
            "each EMAIL credential gets its own address"
        );

        // A user's SMS credentials share one number; each user holds a different one.
        let a1 = create(
            &s,
            &alice,
            &alice_token,
            "text1",
            &sms_config("text1", None),
        )
        .await;
        let a2 = create(
            &s,
            &alice,
            &alice_token,
            "text2",
            &sms_config("text2", None),
        )
        .await;
        assert_eq!(a1["phone"], a2["phone"]);
        let (bob, bob_token) = owner(&s).await;
        let b1 = create(&s, &bob, &bob_token, "text", &sms_config("text", None)).await;
        assert_ne!(a1["phone"], b1["phone"]);
        let numbers = [a1["phone"].as_str().unwrap(), b1["phone"].as_str().unwrap()];
        assert!(
            numbers.contains(&NUMBER_1) && numbers.contains(&NUMBER_2),
            "{numbers:?}"
        );

        // The pool is used up: 409 no_number_available, nothing stored.
        let (carol, carol_token) = owner(&s).await;
        let (status, body) = put(
            &s,
            &carol,
            &carol_token,
            "text",
            &sms_config("text", None),
            0,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "no_number_available");
        let (status, _) = s
            .call(
                Method::GET,
                "/v1/credentials/text",
                Some(&carol_token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Bob deletes his: the number returns to the pool and Carol gets it.
        let (status, _) = s
            .call(
                Method::DELETE,
                "/v1/credentials/text?expected_version=1",
                Some(&bob_token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let c1 = create(&s, &carol, &carol_token, "text", &sms_config("text", None)).await;
        assert_eq!(c1["phone"], b1["phone"]);

        // Alice's number stays while one SMS credential still has it.
        let (status, _) = s
            .call(
                Method::DELETE,
                "/v1/credentials/text1?expected_version=1",
                Some(&alice_token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = put(
            &s,
            &carol,
            &carol_token,
            "text2",
            &sms_config("text2", None),
            0,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["assigned"]["phone"], c1["phone"],
            "Carol keeps her one number"
        );

        // Switching away from EMAIL drops the address; the list shows assignments read-only.
        let none = json!({"name": "mail2", "login_url": "https://portal.acme.test/login"});
        let (status, body) = put(&s, &alice, &alice_token, "mail2", &none, 1).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["assigned"]["email"].is_null(), "{body}");
        let (_, list) = s
            .call(Method::GET, "/v1/credentials", Some(&alice_token), None)
            .await;
        let mail_item = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "mail")
            .unwrap();
        assert_eq!(mail_item["assigned"]["email"], mail["email"]);

        // A code_pattern that is not a regex is invalid_config, nothing stored.
        let mut bad = email_config("bad", None);
        bad["tfa"]["code_pattern"] = json!("([0-9]{6}");
        let (status, body) = put(&s, &alice, &alice_token, "bad", &bad, 0).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "invalid_config");
    }
);

both!(
    a_signed_email_wakes_the_waiting_login_once,
    &[],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
        let address = assigned["email"].as_str().unwrap().to_owned();
        let lease = login(&s, &token, "acme").await;
        let waiter = spawn_waiter(&s, &s.base, &token, &lease, 30);
        tokio::time::sleep(Duration::from_millis(800)).await;
        let raw = email(&address, "noreply@acme.test", "739154");
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        let (took, answer) = waiter.await.unwrap();
        assert_eq!(
            answer["code"],
            "739154",
            "{answer}\n{}",
            s.logs()
                .lines()
                .filter(|l| l.contains("inbound"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(answer["channel"], "email");
        assert!(answer["received_at"].as_i64().unwrap() >= now() - 30);
        assert!(took < Duration::from_secs(5), "woken after {took:?}");

        // Handed out once: the next look finds nothing.
        let (status, again) = tfa_code(&s, &token, "acme", &lease, "wait=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(again["code"].is_null(), "{again}");

        // The same signed body again (a replay within the window) stores nothing.
        let before = count(&s, "inbound_codes").await;
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        assert_eq!(count(&s, "inbound_codes").await, before);

        // Neither the code nor the message is in the vault's log or files.
        assert!(!s.logs().contains("739154"), "code in the vault log");
        if s.db == Db::Sqlite {
            for file in s.db_files() {
                let bytes = std::fs::read(&file).unwrap();
                assert!(
                    !bytes.windows(6).any(|w| w == b"739154"),
                    "code in {}",
                    file.display()
                );
            }
        }
    }
);

both!(
    bad_stale_and_missing_signatures_store_nothing,
    &[],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
        let raw = email(
            assigned["email"].as_str().unwrap(),
            "noreply@acme.test",
            "551902",
        );
        assert_eq!(post_email(&s, &raw, None).await, StatusCode::FORBIDDEN);
        let stale = sealvault_signature(SECRET.as_bytes(), now() - 600, raw.as_bytes());
        assert_eq!(
            post_email(&s, &raw, Some(stale)).await,
            StatusCode::FORBIDDEN
        );
        let wrong = sealvault_signature(b"not-the-secret", now(), raw.as_bytes());
        assert_eq!(
            post_email(&s, &raw, Some(wrong)).await,
            StatusCode::FORBIDDEN
        );
        let other_body = sealvault_signature(SECRET.as_bytes(), now(), b"something else");
        assert_eq!(
            post_email(&s, &raw, Some(other_body)).await,
            StatusCode::FORBIDDEN
        );
        let body =
            json!({"from": "+15557770000", "to": NUMBER_1, "body": "code 123456", "id": "x1"})
                .to_string();
        let response = s
            .client
            .post(format!("{}/v1/inbound/sms", s.base))
            .header(
                "x-sealvault-signature",
                sealvault_signature(b"nope", now(), body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "forbidden");
        assert_eq!(count(&s, "inbound_codes").await, 0);
        assert_eq!(count(&s, "inbound_seen").await, 0);

        // Mail for an address nobody has is accepted and dropped.
        let stray = email(
            "sv-00000000000000000000@inbound.test",
            "noreply@acme.test",
            "551902",
        );
        assert_eq!(
            post_email(&s, &stray, sign(&stray)).await,
            StatusCode::ACCEPTED
        );
        assert_eq!(count(&s, "inbound_codes").await, 0);
        assert!(!s.logs().contains("551902"));
    }
);

both!(
    twilio_signature_replay_and_unknown_number,
    &[],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "bank", &sms_config("bank", None)).await;
        let number = assigned["phone"].as_str().unwrap().to_owned();
        let lease = login(&s, &token, "bank").await;
        let fields = |sid: &str, to: &str| -> Vec<(String, String)> {
            [
                ("MessageSid", sid),
                ("AccountSid", "AC00000000000000000000000000000000"),
                ("From", "+15557770000"),
                ("To", to),
                (
                    "Body",
                    "Acme Bank: your one-time code is 604218. Do not share it.",
                ),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
        };
        // A wrong signature: 403, nothing stored.
        assert_eq!(
            post_twilio(&s, "wrong-token", &fields("SM1", &number)).await,
            StatusCode::FORBIDDEN
        );
        // An unknown To: accepted (Twilio must not retry), nothing stored, the id not even kept.
        assert_eq!(
            post_twilio(&s, TWILIO_TOKEN, &fields("SM2", "+15559990000")).await,
            StatusCode::OK
        );
        assert_eq!(count(&s, "inbound_codes").await, 0);
        assert_eq!(count(&s, "inbound_seen").await, 0);
        // The real one is delivered.
        assert_eq!(
            post_twilio(&s, TWILIO_TOKEN, &fields("SM3", &number)).await,
            StatusCode::OK
        );
        assert_eq!(count(&s, "inbound_codes").await, 1);
        let (status, answer) = tfa_code(&s, &token, "bank", &lease, "wait=5").await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["code"], "604218");
        assert_eq!(answer["channel"], "sms");
        // Replayed MessageSid: accepted, nothing stored.
        assert_eq!(
            post_twilio(&s, TWILIO_TOKEN, &fields("SM3", &number)).await,
            StatusCode::OK
        );
        assert_eq!(count(&s, "inbound_codes").await, 0);
        let (_, answer) = tfa_code(&s, &token, "bank", &lease, "wait=1").await;
        assert!(answer["code"].is_null(), "{answer}");
        assert!(!s.logs().contains("604218"));
    }
);

both!(
    texts_nobody_or_several_can_take_are_held,
    &[],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let a = create(&s, &user, &token, "a", &sms_config("a", None)).await;
        create(&s, &user, &token, "b", &sms_config("b", None)).await;
        let number = a["phone"].as_str().unwrap().to_owned();
        let since = now() - 1;

        // No login open on either: held, not delivered.
        assert_eq!(
            post_sms(&s, "+15557770000", &number, "Your code is 318274", "m1").await,
            StatusCode::ACCEPTED
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let lease_a = login(&s, &token, "a").await;
        let (status, body) =
            tfa_code(&s, &token, "a", &lease_a, &format!("since={since}&wait=1")).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "ambiguous_recipient");
        // The held text was received before this lease: by default it is not this login's.
        let (status, body) = tfa_code(&s, &token, "a", &lease_a, "wait=0").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["code"].is_null());

        // Both logging in: held again, both told.
        let lease_b = login(&s, &token, "b").await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let t = now();
        assert_eq!(
            post_sms(&s, "+15557770000", &number, "Your code is 902211", "m2").await,
            StatusCode::ACCEPTED
        );
        for (item, lease) in [("a", &lease_a), ("b", &lease_b)] {
            let (status, body) =
                tfa_code(&s, &token, item, lease, &format!("since={t}&wait=1")).await;
            assert_eq!(status, StatusCode::CONFLICT, "{item}: {body}");
            assert_eq!(body["error"]["code"], "ambiguous_recipient");
        }
        assert!(!s.logs().contains("902211"));
    }
);

both!(the_sender_filter_breaks_ties, &[], |s: Server| async move {
    let (user, token) = owner(&s).await;
    let a = create(
        &s,
        &user,
        &token,
        "a",
        &sms_config("a", Some("+1 555 777 0000")),
    )
    .await;
    create(&s, &user, &token, "b", &sms_config("b", None)).await;
    let number = a["phone"].as_str().unwrap().to_owned();
    let lease_a = login(&s, &token, "a").await;
    let lease_b = login(&s, &token, "b").await;
    assert_eq!(
        post_sms(&s, "+15557770000", &number, "Code: 771930", "f1").await,
        StatusCode::ACCEPTED
    );
    let (_, got_a) = tfa_code(&s, &token, "a", &lease_a, "wait=5").await;
    assert_eq!(got_a["code"], "771930", "{got_a}");
    let (_, got_b) = tfa_code(&s, &token, "b", &lease_b, "wait=0").await;
    assert!(got_b["code"].is_null(), "{got_b}");
    // A sender the filter refuses never reaches `a`; `b` (no filter) is the one logging in for it.
    assert_eq!(
        post_sms(&s, "+15550001111", &number, "Code: 118822", "f2").await,
        StatusCode::ACCEPTED
    );
    let (_, got_b) = tfa_code(&s, &token, "b", &lease_b, "wait=5").await;
    assert_eq!(got_b["code"], "118822", "{got_b}");
    let (_, got_a) = tfa_code(&s, &token, "a", &lease_a, "wait=0").await;
    assert!(got_a["code"].is_null(), "{got_a}");
});

both!(two_waiters_one_code, &[], |s: Server| async move {
    let (user, token) = owner(&s).await;
    let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
    let address = assigned["email"].as_str().unwrap().to_owned();
    let leases = [
        login(&s, &token, "acme").await,
        login(&s, &token, "acme").await,
    ];
    let waiters: Vec<_> = leases
        .iter()
        .map(|lease| spawn_waiter(&s, &s.base, &token, lease, 4))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let raw = email(&address, "noreply@acme.test", "246810");
    assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
    let mut codes = Vec::new();
    for waiter in waiters {
        codes.push(waiter.await.unwrap().1["code"].clone());
    }
    assert_eq!(
        codes.iter().filter(|c| **c == json!("246810")).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(codes.iter().filter(|c| c.is_null()).count(), 1, "{codes:?}");
});

both!(
    codes_expire,
    &[("SEALVAULT_TFA_CODE_TTL_SECS", "1")],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
        let lease = login(&s, &token, "acme").await;
        let raw = email(
            assigned["email"].as_str().unwrap(),
            "noreply@acme.test",
            "135791",
        );
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        assert_eq!(count(&s, "inbound_codes").await, 1, "the code was stored");
        tokio::time::sleep(Duration::from_millis(2200)).await;
        let (status, body) = tfa_code(&s, &token, "acme", &lease, "wait=0").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body["code"].is_null(),
            "an expired code was handed out: {body}"
        );
    }
);

both!(
    only_a_login_lease_of_the_owner_gets_codes,
    &[],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(
            &s,
            &user,
            &token,
            "acme",
            &email_config("acme", Some("@acme.test")),
        )
        .await;
        let address = assigned["email"].as_str().unwrap().to_owned();
        // No lease header, a made-up lease: lease_required.
        let (status, body) = s
            .call(
                Method::GET,
                "/v1/credentials/acme/tfa-code",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "lease_required");
        let lease = login(&s, &token, "acme").await;
        // Another user sees no such credential.
        let (_, stranger) = owner(&s).await;
        let (status, _) = tfa_code(&s, &stranger, "acme", &lease, "wait=0").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A sender outside the filter is dropped; a forwarded one from inside passes.
        let raw = email(&address, "phisher@evil.test", "999111");
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        let (_, body) = tfa_code(&s, &token, "acme", &lease, "wait=1").await;
        assert!(body["code"].is_null(), "{body}");
        // After login-complete the lease may no longer read codes.
        let raw = email(&address, "noreply@acme.test", "222333");
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        let (status, g) = s
            .call(
                Method::POST,
                "/v1/credentials/acme/sessions",
                Some(&token),
                Some(json!({"purpose": "use"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{g}");
        let use_lease = g["lease_token"].as_str().unwrap();
        let (status, body) = tfa_code(&s, &token, "acme", use_lease, "wait=0").await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "lease_required");
        let (_, body) = tfa_code(&s, &token, "acme", &lease, "wait=1").await;
        assert_eq!(body["code"], "222333", "{body}");
    }
);

both!(
    twilio_signs_the_public_url,
    &[("SEALVAULT_PUBLIC_URL", "https://vault.example.com/")],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "bank", &sms_config("bank", None)).await;
        let number = assigned["phone"].as_str().unwrap().to_owned();
        let params: Vec<(String, String)> = [
            ("MessageSid", "SMpublic1"),
            ("From", "+15557770000"),
            ("To", number.as_str()),
            ("Body", "Your code is 551177"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let post = |url: String| {
            let signature = twilio_signature(TWILIO_TOKEN.as_bytes(), &url, &params);
            s.client
                .post(format!("{}/v1/inbound/sms/twilio", s.base))
                .header("x-twilio-signature", signature)
                .form(&params)
                .send()
        };
        // Behind a proxy Twilio signs the public URL, not the vault's own.
        let local = format!("{}/v1/inbound/sms/twilio", s.base);
        assert_eq!(post(local).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(count(&s, "inbound_seen").await, 0);
        let public = "https://vault.example.com/v1/inbound/sms/twilio".to_owned();
        assert_eq!(post(public).await.unwrap().status(), StatusCode::OK);
        assert_eq!(count(&s, "inbound_seen").await, 1);
    }
);

both!(
    a_code_stored_by_one_replica_wakes_a_waiter_on_another,
    &[],
    |s: Server| async move {
        let replica = s.replica();
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
        let address = assigned["email"].as_str().unwrap().to_owned();
        let lease = login(&s, &token, "acme").await;
        let waiter = spawn_waiter(&s, &replica.base, &token, &lease, 30);
        tokio::time::sleep(Duration::from_millis(800)).await;
        let raw = email(&address, "noreply@acme.test", "864201");
        assert_eq!(post_email(&s, &raw, sign(&raw)).await, StatusCode::ACCEPTED);
        let (took, answer) = waiter.await.unwrap();
        assert_eq!(answer["code"], "864201", "{answer}");
        assert!(
            took < Duration::from_secs(5),
            "the other replica took {took:?}"
        );
    }
);

both!(
    the_vault_smtp_listener_refuses_unknown_recipients,
    &[("SEALVAULT_SMTP_LISTEN", "127.0.0.1:0")],
    |s: Server| async move {
        let (user, token) = owner(&s).await;
        let assigned = create(&s, &user, &token, "acme", &email_config("acme", None)).await;
        let address = assigned["email"].as_str().unwrap().to_owned();
        let smtp = s.smtp_addr();
        let (host, port) = smtp.rsplit_once(':').unwrap();
        // Python's smtplib, a real SMTP client: one known, one unknown recipient.
        let script = r#"
import smtplib, sys
host, port, known, unknown = sys.argv[1:]
msg = ("From: noreply@acme.test\r\nTo: " + known + "\r\nSubject: Your code\r\n\r\n"
       "Your verification code is 330719.\r\n")
with smtplib.SMTP(host, int(port), timeout=20) as s:
    refused = s.sendmail("noreply@acme.test", [known, unknown], msg)
print(sorted((k, v[0]) for k, v in refused.items()))
"#;
        let unknown = "sv-ffffffffffffffffffff@inbound.test";
        let out = std::process::Command::new("python3")
            .args(["-c", script, host, port, &address, unknown])
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(printed.trim(), format!("[('{unknown}', 550)]"));
        let lease = login(&s, &token, "acme").await;
        let since = now() - 60;
        let (_, answer) =
            tfa_code(&s, &token, "acme", &lease, &format!("since={since}&wait=5")).await;
        assert_eq!(answer["code"], "330719", "{answer}");
        assert!(
            !s.logs().contains("330719"),
            "the code is in the vault's log"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_rate_limited_per_client() {
    let file =
        std::env::temp_dir().join(format!("sealvault-inbound-{}.toml", rand::random::<u64>()));
    std::fs::write(&file, "[limits]\ninbound_per_minute = 3\n").unwrap();
    let path = file.to_string_lossy().to_string();
    let s = start(Db::Sqlite, &[("SEALVAULT_CONFIG", path.as_str())])
        .await
        .unwrap();
    let raw = "To: sv-1@inbound.test\r\n\r\nnothing";
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post_email(&s, raw, sign(raw)).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

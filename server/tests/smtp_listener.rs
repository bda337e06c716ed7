//! The embedded SMTP listener against real clients: swaks, Python's
//! `smtplib`, and raw protocol over a TCP socket. Mail is handed to a
//! recording sink (a real `MailSink` that keeps what it is given; it
//! stands in for the inbound routing, not for any part of SMTP).
//!
//! swaks is skipped, with the reason printed, when it is not installed,
//! unless `SEALVAULT_TEST_SMTP=required`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    net::SocketAddr,
    process::Command,
    sync::{Arc, Mutex},
    time::Duration,
};

mod common;

use common::swaks_available;
use sealvault_server::inbound::smtp::{DeliverError, MailSink, SmtpConfig, serve};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
struct Delivery {
    from: String,
    rcpts: Vec<String>,
    raw: Vec<u8>,
}

/// Accepts addresses ending in `@inbound.test` and records every delivery.
#[derive(Default)]
struct RecordingSink {
    deliveries: Mutex<Vec<Delivery>>,
}

impl RecordingSink {
    fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl MailSink for RecordingSink {
    async fn accepts(&self, rcpt: &str) -> bool {
        rcpt.ends_with("@inbound.test")
    }
    async fn deliver(
        &self,
        mail_from: &str,
        rcpts: &[String],
        raw: &[u8],
    ) -> Result<(), DeliverError> {
        self.deliveries.lock().unwrap().push(Delivery {
            from: mail_from.to_owned(),
            rcpts: rcpts.to_vec(),
            raw: raw.to_vec(),
        });
        Ok(())
    }
}

struct Listener {
    addr: SocketAddr,
    sink: Arc<RecordingSink>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Listener {
    async fn start(max_message_bytes: usize, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self::start_with(SmtpConfig {
            hostname: "vault.inbound.test".into(),
            max_message_bytes,
            max_recipients: 5,
            idle_timeout: Duration::from_secs(10),
            tls,
        })
        .await
    }

    async fn start_with(config: SmtpConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sink = Arc::new(RecordingSink::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            config,
            Arc::clone(&sink) as Arc<dyn MailSink>,
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            sink,
            stop: Some(stop),
            task,
        }
    }

    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("serve ends after shutdown")
            .unwrap()
            .unwrap();
    }
}

/// A self-signed certificate for `localhost` made with rcgen.
fn tls_config() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    Arc::new(config)
}

/// Runs a command off the runtime; returns (success, stdout + stderr).
async fn run(mut cmd: Command) -> (bool, String) {
    tokio::task::spawn_blocking(move || {
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

fn swaks(addr: SocketAddr, to: &str, subject: &str) -> Command {
    let mut cmd = Command::new("swaks");
    cmd.args(["--server", "127.0.0.1", "--port", &addr.port().to_string()])
        .args(["--helo", "client.test", "--from", "noreply@sender.test"])
        .args(["--to", to])
        .args(["--header", &format!("Subject: {subject}")])
        .args(["--body", "Your login code is 482913.", "--timeout", "20"]);
    cmd
}

fn python(script: &str, args: &[String]) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_delivers_a_message() {
    if !swaks_available() {
        return;
    }
    let l = Listener::start(64 * 1024, None).await;
    let (ok, out) = run(swaks(l.addr, "TFA-7@Inbound.Test", "Your code 482913")).await;
    assert!(ok, "swaks failed:\n{out}");
    let got = l.sink.deliveries();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].from, "noreply@sender.test");
    assert_eq!(got[0].rcpts, vec!["tfa-7@inbound.test".to_owned()]);
    let raw = String::from_utf8_lossy(&got[0].raw);
    assert!(raw.contains("Subject: Your code 482913"), "{raw}");
    assert!(raw.contains("Your login code is 482913."), "{raw}");
    assert!(raw.ends_with("\r\n"), "{raw:?}");
    l.shutdown().await;
}

const SMTPLIB_SEND: &str = r#"
import json, smtplib, sys
port, rcpts = int(sys.argv[1]), sys.argv[2:]
msg = "From: a@sender.test\r\nTo: x\r\nSubject: code 111222\r\n\r\nYour code is 111222.\r\n"
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    refused = s.sendmail("a@sender.test", rcpts, msg)
print(json.dumps({k: [v[0], v[1].decode()] for k, v in refused.items()}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_unknown_recipient_refused_known_delivered() {
    let l = Listener::start(64 * 1024, None).await;
    let args = vec![
        l.addr.port().to_string(),
        "known@inbound.test".to_owned(),
        "stranger@elsewhere.test".to_owned(),
    ];
    let (ok, out) = run(python(SMTPLIB_SEND, &args)).await;
    assert!(ok, "smtplib failed:\n{out}");
    let refused: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(refused["stranger@elsewhere.test"][0], 550, "{out}");
    assert!(
        refused["stranger@elsewhere.test"][1]
            .as_str()
            .unwrap()
            .contains("5.1.1"),
        "{out}"
    );
    assert!(refused.get("known@inbound.test").is_none(), "{out}");
    let got = l.sink.deliveries();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpts, vec!["known@inbound.test".to_owned()]);
    assert!(String::from_utf8_lossy(&got[0].raw).contains("Subject: code 111222"));
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_all_recipients_refused() {
    let l = Listener::start(64 * 1024, None).await;
    let script = r#"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    try:
        s.sendmail("a@sender.test", ["nobody@elsewhere.test"], "Subject: x\r\n\r\nx\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e.recipients["nobody@elsewhere.test"][0])
"#;
    let (ok, out) = run(python(script, &[l.addr.port().to_string()])).await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "refused 550");
    assert!(l.sink.deliveries().is_empty());
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_declared_with_size_is_refused_at_mail_from() {
    // smtplib declares SIZE= when the server advertises SIZE.
    let l = Listener::start(1024, None).await;
    let script = r#"
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    try:
        s.sendmail("a@sender.test", ["big@inbound.test"], "Subject: big\r\n\r\n" + "x" * 4000 + "\r\n")
    except smtplib.SMTPSenderRefused as e:
        print("refused", e.smtp_code)
"#;
    let (ok, out) = run(python(script, &[l.addr.port().to_string()])).await;
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "refused 552");
    assert!(l.sink.deliveries().is_empty());
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_starttls_delivers_and_plain_ehlo_has_no_starttls() {
    let l = Listener::start(64 * 1024, Some(tls_config())).await;
    let mut c = Raw::connect(l.addr).await;
    let ehlo = c.cmd("EHLO client.test").await;
    assert!(
        ehlo.contains("250-STARTTLS") || ehlo.contains("250 STARTTLS"),
        "{ehlo}"
    );
    c.cmd("QUIT").await;

    if swaks_available() {
        let mut cmd = swaks(l.addr, "tls@inbound.test", "Over TLS 99");
        cmd.arg("--tls");
        let (ok, out) = run(cmd).await;
        assert!(ok, "swaks --tls failed:\n{out}");
        assert!(out.contains("TLS started"), "{out}");
        // After the upgrade EHLO is asked again and STARTTLS is no longer offered.
        let after = out.split("TLS started").nth(1).unwrap();
        assert!(!after.contains("STARTTLS"), "{out}");
        let got = l.sink.deliveries();
        assert_eq!(got.len(), 1);
        assert!(String::from_utf8_lossy(&got[0].raw).contains("Subject: Over TLS 99"));
    }

    // Python's smtplib over STARTTLS, with an unverified context (self-signed).
    let script = r#"
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20) as s:
    s.ehlo()
    assert s.has_extn("starttls")
    s.starttls(context=ctx)
    s.ehlo()
    assert not s.has_extn("starttls")
    print(s.sock.version())
    s.sendmail("a@sender.test", ["py-tls@inbound.test"], "Subject: python tls\r\n\r\nhi\r\n")
"#;
    let (ok, out) = run(python(script, &[l.addr.port().to_string()])).await;
    assert!(ok, "smtplib starttls failed:\n{out}");
    assert!(out.contains("TLS"), "{out}");
    let got = l.sink.deliveries();
    let last = got.last().unwrap();
    assert_eq!(last.rcpts, vec!["py-tls@inbound.test".to_owned()]);
    assert!(String::from_utf8_lossy(&last.raw).contains("Subject: python tls"));
    l.shutdown().await;

    let plain = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(plain.addr).await;
    let ehlo = c.cmd("EHLO client.test").await;
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(ehlo.contains("SIZE 65536"), "{ehlo}");
    assert!(
        ehlo.contains("PIPELINING") && ehlo.contains("8BITMIME"),
        "{ehlo}"
    );
    assert!(c.cmd("STARTTLS").await.starts_with("502"));
    plain.shutdown().await;
}

/// A raw SMTP client over TCP.
struct Raw {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> Self {
        let (r, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut c = Self {
            reader: BufReader::new(r),
            writer,
        };
        let greeting = c.reply().await;
        assert!(greeting.starts_with("220 vault.inbound.test"), "{greeting}");
        c
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// One whole (possibly multi-line) reply, lines joined with `\n`.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                .await
                .expect("a reply in time")
                .unwrap();
            assert!(n > 0, "connection closed; so far: {all:?}");
            all.push_str(line.trim_end());
            all.push('\n');
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    async fn code(&mut self, line: &str) -> String {
        self.cmd(line).await[..3].to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_sequence_errors() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    assert_eq!(
        c.code("MAIL FROM:<a@sender.test>").await,
        "503",
        "MAIL before EHLO"
    );
    assert_eq!(c.code("EHLO client.test").await, "250");
    assert_eq!(
        c.code("RCPT TO:<x@inbound.test>").await,
        "503",
        "RCPT before MAIL"
    );
    assert_eq!(c.code("DATA").await, "503", "DATA before MAIL");
    assert_eq!(c.code("MAIL FROM:<a@sender.test>").await, "250");
    assert_eq!(
        c.code("MAIL FROM:<a@sender.test>").await,
        "503",
        "nested MAIL"
    );
    assert_eq!(c.code("RCPT TO:<nobody@elsewhere.test>").await, "550");
    assert_eq!(
        c.code("DATA").await,
        "554",
        "DATA without accepted recipients"
    );
    assert_eq!(c.code("RSET").await, "250");
    assert_eq!(c.code("NOOP").await, "250");
    assert_eq!(c.code("VRFY someone").await, "252");
    assert_eq!(c.code("FROB").await, "500");
    assert_eq!(c.code("EXPN list").await, "502");
    assert_eq!(c.code("AUTH PLAIN AGFAYg==").await, "502");
    assert_eq!(c.code("QUIT").await, "221");
    assert!(l.sink.deliveries().is_empty());
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_dot_unstuffing_and_case() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    assert_eq!(c.code("HELO client.test").await, "250");
    assert_eq!(c.code("MAIL FROM:<a@sender.test>").await, "250");
    assert_eq!(c.code("RCPT TO:<Code.Box@INBOUND.test>").await, "250");
    assert_eq!(
        c.code("RCPT TO:<code.box@inbound.test>").await,
        "250",
        "duplicate"
    );
    assert_eq!(c.code("DATA").await, "354");
    c.send(b"..starts with a dot\r\nline\r\n...\r\n.\r\n").await;
    assert_eq!(&c.reply().await[..3], "250");
    // A message whose first line is "." is empty.
    assert_eq!(c.code("MAIL FROM:<>").await, "250");
    assert_eq!(c.code("RCPT TO:<code.box@inbound.test>").await, "250");
    assert_eq!(c.code("DATA").await, "354");
    assert_eq!(c.code(".").await, "250");
    let got = l.sink.deliveries();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].rcpts, vec!["code.box@inbound.test".to_owned()]);
    assert_eq!(got[0].raw, b".starts with a dot\r\nline\r\n..\r\n");
    assert_eq!(got[1].from, "");
    assert_eq!(got[1].raw, b"");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_bare_lf_dot_does_not_end_data() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    c.cmd("EHLO client.test").await;
    c.cmd("MAIL FROM:<a@sender.test>").await;
    c.cmd("RCPT TO:<x@inbound.test>").await;
    assert_eq!(c.code("DATA").await, "354");
    c.send(b"one\n.\r\nMAIL FROM:<evil@sender.test>\r\n.\r\n")
        .await;
    assert_eq!(&c.reply().await[..3], "250");
    let got = l.sink.deliveries();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, b"one\n.\r\nMAIL FROM:<evil@sender.test>\r\n");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_oversized_data_is_refused_and_session_continues() {
    let l = Listener::start(1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    c.cmd("EHLO client.test").await;
    c.cmd("MAIL FROM:<a@sender.test>").await;
    c.cmd("RCPT TO:<x@inbound.test>").await;
    assert_eq!(c.code("DATA").await, "354");
    let line = "y".repeat(70);
    for _ in 0..200 {
        c.send(format!("{line}\r\n").as_bytes()).await;
    }
    c.send(b".\r\n").await;
    let reply = c.reply().await;
    assert!(reply.starts_with("552 5.3.4"), "{reply}");
    assert!(l.sink.deliveries().is_empty());
    // The transaction is over; a fitting message goes through.
    assert_eq!(c.code("DATA").await, "503");
    c.cmd("MAIL FROM:<a@sender.test>").await;
    c.cmd("RCPT TO:<x@inbound.test>").await;
    assert_eq!(c.code("DATA").await, "354");
    assert_eq!(c.code("small\r\n.").await, "250");
    assert_eq!(l.sink.deliveries().len(), 1);
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_long_line_refused_without_buffering() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    c.send(b"EHLO ").await;
    // 1 MiB with no newline: refused once the line ends, session still fine.
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..16 {
        c.send(&chunk).await;
    }
    let reply = c.cmd("").await;
    assert!(reply.starts_with("500 5.5.6"), "{reply}");
    assert_eq!(c.code("EHLO client.test").await, "250");
    assert_eq!(c.code("QUIT").await, "221");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_pipelined_commands_answered_in_order() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    c.cmd("EHLO client.test").await;
    c.send(
        b"MAIL FROM:<a@sender.test>\r\nRCPT TO:<one@inbound.test>\r\n\
          RCPT TO:<no@elsewhere.test>\r\nRCPT TO:<two@inbound.test>\r\nDATA\r\n",
    )
    .await;
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(c.reply().await[..3].to_owned());
    }
    assert_eq!(got, ["250", "250", "550", "250", "354"]);
    c.send(b"Subject: piped\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        .await;
    assert_eq!(&c.reply().await[..3], "250");
    assert_eq!(&c.reply().await[..3], "250");
    assert_eq!(&c.reply().await[..3], "221");
    let d = l.sink.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].rcpts,
        vec!["one@inbound.test".to_owned(), "two@inbound.test".to_owned()]
    );
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_too_many_recipients_and_size_param() {
    let l = Listener::start(100, None).await;
    let mut c = Raw::connect(l.addr).await;
    c.cmd("EHLO client.test").await;
    assert_eq!(c.code("MAIL FROM:<a@sender.test> SIZE=101").await, "552");
    assert_eq!(c.code("MAIL FROM:<a@sender.test> SIZE=100").await, "250");
    for i in 0..5 {
        assert_eq!(c.code(&format!("RCPT TO:<r{i}@inbound.test>")).await, "250");
    }
    assert_eq!(c.code("RCPT TO:<r5@inbound.test>").await, "452");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_bdat_chunks() {
    let l = Listener::start(64 * 1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    assert!(c.cmd("EHLO client.test").await.contains("CHUNKING"));
    c.cmd("MAIL FROM:<a@sender.test>").await;
    c.cmd("RCPT TO:<x@inbound.test>").await;
    c.send(b"BDAT 14\r\nSubject: b\r\n\r\n").await;
    assert_eq!(&c.reply().await[..3], "250");
    c.send(b"BDAT 7 LAST\r\n.body\r\n").await;
    assert_eq!(&c.reply().await[..3], "250");
    let d = l.sink.deliveries();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].raw, b"Subject: b\r\n\r\n.body\r\n");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_session_is_closed_with_421() {
    let l = Listener::start_with(SmtpConfig {
        hostname: "vault.inbound.test".into(),
        max_message_bytes: 1024,
        max_recipients: 1,
        idle_timeout: Duration::from_millis(300),
        tls: None,
    })
    .await;
    let mut c = Raw::connect(l.addr).await;
    let reply = c.reply().await;
    assert!(reply.starts_with("421 4.4.2"), "{reply}");
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_sessions_and_stops_accepting() {
    let l = Listener::start(1024, None).await;
    let addr = l.addr;
    let mut c = Raw::connect(addr).await;
    c.cmd("EHLO client.test").await;
    l.shutdown().await;
    let reply = c.reply().await;
    assert!(reply.starts_with("421 4.3.2"), "{reply}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_over_the_limit_are_told_421() {
    use sealvault_server::inbound::smtp::MAX_CONNECTIONS;
    let l = Listener::start(1024, None).await;
    let mut held = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        held.push(Raw::connect(l.addr).await);
    }
    let extra = TcpStream::connect(l.addr).await.unwrap();
    let mut extra = BufReader::new(extra);
    let mut line = String::new();
    tokio::time::timeout(Duration::from_secs(10), extra.read_line(&mut line))
        .await
        .unwrap()
        .unwrap();
    assert!(line.starts_with("421 4.7.0"), "{line}");
    // A slot frees when a session ends.
    let mut first = held.remove(0);
    assert_eq!(first.code("QUIT").await, "221");
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        let s = TcpStream::connect(l.addr).await.unwrap();
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).await.unwrap();
        if line.starts_with("220") {
            again = Some(line);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "a slot came back");
    drop(held);
    l.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_smtputf8_addresses_lower_cased() {
    let l = Listener::start(1024, None).await;
    let mut c = Raw::connect(l.addr).await;
    assert!(c.cmd("EHLO client.test").await.contains("SMTPUTF8"));
    assert_eq!(c.code("MAIL FROM:<jörg@sender.test> SMTPUTF8").await, "250");
    assert_eq!(c.code("RCPT TO:<ÜNÏ@Inbound.Test>").await, "250");
    assert_eq!(c.code("DATA").await, "354");
    assert_eq!(c.code("Subject: grüße\r\n\r\nCode: 123\r\n.").await, "250");
    let d = l.sink.deliveries();
    assert_eq!(d[0].from, "jörg@sender.test");
    assert_eq!(d[0].rcpts, vec!["ünï@inbound.test".to_owned()]);
    assert_eq!(d[0].raw, "Subject: grüße\r\n\r\nCode: 123\r\n".as_bytes());
    l.shutdown().await;
}

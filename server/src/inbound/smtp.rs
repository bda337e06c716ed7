//! The embedded SMTP listener (`SEALVAULT_SMTP_LISTEN`).
//!
//! Use case: the final hop for login two-factor emails (DESIGN §7). The
//! vault's inbound domain has its MX pointing here (or a relay forwards to
//! here); each EMAIL credential's address is one recipient.
//!
//! About: RFC 5321 receiving side only, no relaying and no `AUTH`. Commands
//! are parsed by `smtp-proto` (Stalwart's parser); the session state machine,
//! line framing, `DATA` dot-unstuffing and `BDAT` chunks are here. Extensions
//! offered: `SIZE`, `8BITMIME`, `PIPELINING`, `ENHANCEDSTATUSCODES`,
//! `CHUNKING`, `SMTPUTF8`, and `STARTTLS` (RFC 3207) when [`SmtpConfig::tls`]
//! is set and the session is not yet encrypted.
//!
//! Parameters: [`SmtpConfig`]; at most [`MAX_CONNECTIONS`] sessions at once
//! (more are answered `421` and closed); command lines of at most
//! [`MAX_COMMAND_LINE`] bytes.
//!
//! Errors: refused recipients get `550 5.1.1`, more than `max_recipients`
//! `452 4.5.3`, a message over `max_message_bytes` `552 5.3.4` (declared with
//! `SIZE=` at `MAIL FROM`, or found while reading, in which case the rest is
//! read and discarded), a failed [`MailSink::deliver`] `451 4.3.0`, an idle
//! session `421 4.4.2`.
//!
//! Security: the raw message is handed on exactly as sent (dot-unstuffed,
//! nothing added). Message contents, addresses and the `EHLO` name are never
//! logged; at debug level only command verbs and counts. Only `CRLF.CRLF`
//! ends `DATA` (a bare-LF `.` line does not), so a message cannot smuggle a
//! second one past an upstream relay. Bytes pipelined after `STARTTLS` are
//! discarded before the handshake.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

mod session;

/// Most SMTP sessions served at once; more are told `421` and closed.
pub const MAX_CONNECTIONS: usize = 64;

/// Longest command line accepted, CRLF included (RFC 5321 §4.5.3.1.4 allows
/// 512 plus extension parameters); longer lines are answered `500` and
/// discarded without being buffered.
pub const MAX_COMMAND_LINE: usize = 1000;

/// Where the listener hands mail: recipient checks and delivery.
#[async_trait::async_trait]
pub trait MailSink: Send + Sync + 'static {
    /// Whether mail for `rcpt` is wanted (asked at `RCPT TO`; refused
    /// recipients get 550 and nothing of theirs is kept).
    async fn accepts(&self, rcpt: &str) -> bool;
    /// One whole message for its accepted recipients. An error answers
    /// 451 (try later); nothing is kept.
    async fn deliver(
        &self,
        mail_from: &str,
        rcpts: &[String],
        raw: &[u8],
    ) -> Result<(), DeliverError>;
}

/// A delivery that failed on the vault's side (the client may retry).
#[derive(Debug, thiserror::Error)]
#[error("delivery failed")]
pub struct DeliverError;

/// Listener settings.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The name in the greeting and `EHLO` answer.
    pub hostname: String,
    /// Largest message accepted (`SIZE`; larger → 552).
    pub max_message_bytes: usize,
    /// Most recipients per message.
    pub max_recipients: usize,
    /// An idle connection is closed after this.
    pub idle_timeout: Duration,
    /// `STARTTLS` offered when set.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Serves SMTP on `listener` until `shutdown` completes.
///
/// After `shutdown` no connection is accepted; sessions waiting for their
/// next command are told `421` and closed, a message being received is
/// finished first, and this returns once every session has ended.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: SmtpConfig,
    sink: Arc<dyn MailSink>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let config = Arc::new(config);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                while sessions.try_join_next().is_some() {}
                let tcp = match accepted {
                    Ok((tcp, _peer)) => tcp,
                    Err(e) => {
                        // EMFILE, ECONNABORTED and the like: back off, keep serving.
                        tracing::warn!(error = %e, "smtp: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                match Arc::clone(&slots).try_acquire_owned() {
                    Ok(permit) => {
                        let (config, sink, stop) =
                            (Arc::clone(&config), Arc::clone(&sink), stop_rx.clone());
                        sessions.spawn(async move {
                            session::run(tcp, &config, sink.as_ref(), stop).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        tracing::debug!(limit = MAX_CONNECTIONS, "smtp: too many sessions");
                        // Best effort, never blocking the accept loop.
                        let _ = tcp.try_write(b"421 4.7.0 Too many connections, try later\r\n");
                    }
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while sessions.join_next().await.is_some() {}
    Ok(())
}

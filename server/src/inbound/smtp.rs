//! The embedded SMTP listener (`SEALVAULT_SMTP_LISTEN`).
//!
//! Interface fixed for parallel work.

use std::{future::Future, sync::Arc, time::Duration};

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
pub async fn serve(
    _listener: tokio::net::TcpListener,
    _config: SmtpConfig,
    _sink: Arc<dyn MailSink>,
    _shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    todo!("smtp")
}

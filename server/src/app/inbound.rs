//! Background work of inbound second factors: the SMTP listener (when
//! `SEALVAULT_SMTP_LISTEN` is set) and the sweeper of expired codes.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::api::AppState;
use crate::config::{Config, TlsConfig};
use crate::inbound::sink::VaultSink;
use crate::inbound::smtp::{self, SmtpConfig};

/// How often expired codes are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Aborts its tasks when dropped (the server stops with it).
pub struct InboundTasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for InboundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts the sweeper and, when configured, the SMTP listener (logging
/// `smtp listening on <addr>`).
pub async fn start(config: &Config, state: &AppState) -> Result<InboundTasks, String> {
    let mut tasks = vec![crate::inbound::spawn_sweeper(state.clone(), SWEEP_EVERY)];
    if let Some(listen) = &config.inbound.smtp_listen {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("cannot listen for SMTP on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = config.tls.as_ref().map(server_tls).transpose()?;
        tracing::info!(starttls = tls.is_some(), "smtp listening on {addr}");
        let settings = SmtpConfig {
            hostname: config.inbound.domain.clone(),
            max_message_bytes: config.inbound.max_message_bytes,
            max_recipients: 50,
            idle_timeout: Duration::from_secs(300),
            tls,
        };
        let sink = Arc::new(VaultSink(state.clone()));
        tasks.push(tokio::spawn(async move {
            if let Err(e) = smtp::serve(listener, settings, sink, std::future::pending()).await {
                tracing::error!(cause = %e, "smtp listener stopped");
            }
        }));
    }
    Ok(InboundTasks(tasks))
}

/// A rustls server config from the HTTPS certificate and key (STARTTLS).
fn server_tls(tls: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("TLS certificate {}: {e}", tls.cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| format!("TLS key {}: {e}", tls.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

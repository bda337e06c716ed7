//! The SMTP listener's hand-off: recipients are checked against the
//! assigned addresses at `RCPT TO`, and a whole message goes through the
//! same pipeline as the webhook.

use super::deliver;
use super::smtp::{DeliverError, MailSink};
use crate::api::AppState;

/// Delivers mail into the vault.
pub struct VaultSink(pub AppState);

#[async_trait::async_trait]
impl MailSink for VaultSink {
    async fn accepts(&self, rcpt: &str) -> bool {
        let Ok(mut tx) = self.0.store.read().await else {
            return false;
        };
        matches!(
            tx.inbound().address_owner(&rcpt.to_ascii_lowercase()).await,
            Ok(Some(_))
        )
    }

    async fn deliver(
        &self,
        _mail_from: &str,
        rcpts: &[String],
        raw: &[u8],
    ) -> Result<(), DeliverError> {
        match deliver::email(&self.0, rcpts, raw, None).await {
            Ok(outcome) => {
                tracing::debug!(?outcome, "smtp message handled");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(code = ?e.code, "smtp delivery failed");
                Err(DeliverError)
            }
        }
    }
}

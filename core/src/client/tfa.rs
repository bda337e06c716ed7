//! Email and SMS second factors (DESIGN §7): the code or magic link the
//! vault received for the credential, long-polled by the lease holder in
//! its login phase.

use std::time::Duration;

use super::error::{ClientError, ClientResult};
use super::{Session, rt};
pub use crate::wire::TfaChannel;
use crate::wire::{SecretString, TfaCodeAnswer};

/// The longest single long poll; longer waits are several of these.
const CHUNK_SECS: u64 = 25;

/// A code (or magic link) the vault received by email or SMS, handed out
/// once. `Debug` redacts the code and the link.
#[derive(Debug)]
pub struct TfaCode {
    /// The extracted code, if the message had one.
    pub code: Option<SecretString>,
    /// A magic link on the credential's `login_url` site, if it had one.
    pub link: Option<SecretString>,
    /// How it arrived.
    pub channel: TfaChannel,
    /// When the vault received it (unix seconds).
    pub received_at: i64,
}

impl TfaCode {
    /// `None` for the all-`null` answer of a poll that saw nothing.
    fn from_answer(answer: TfaCodeAnswer) -> ClientResult<Option<Self>> {
        if answer.code.is_none() && answer.link.is_none() {
            return Ok(None);
        }
        let (Some(channel), Some(received_at)) = (answer.channel, answer.received_at) else {
            return Err(ClientError::Protocol(
                "tfa-code answer without channel or received_at".into(),
            ));
        };
        Ok(Some(Self {
            code: answer.code,
            link: answer.link,
            channel,
            received_at,
        }))
    }
}

impl Session {
    /// Waits up to `timeout` (rounded up to whole seconds) for the email or
    /// SMS code received since the lease was granted; `None` when none came. Each code is handed out
    /// once. Login phase only; `ambiguous_recipient` when the vault could
    /// not route a text to this credential alone.
    pub async fn wait_for_tfa_code(&self, timeout: Duration) -> ClientResult<Option<TfaCode>> {
        self.poll_tfa_code(timeout, None).await
    }

    /// As [`Session::wait_for_tfa_code`], for codes received at or after
    /// `since` (unix seconds).
    pub async fn wait_for_tfa_code_since(
        &self,
        timeout: Duration,
        since: i64,
    ) -> ClientResult<Option<TfaCode>> {
        self.poll_tfa_code(timeout, Some(since)).await
    }

    async fn poll_tfa_code(
        &self,
        timeout: Duration,
        since: Option<i64>,
    ) -> ClientResult<Option<TfaCode>> {
        let deadline = rt::now() + timeout;
        loop {
            let left = deadline.saturating_sub(rt::now());
            // Whole seconds on the wire, rounded up: never shorter than asked.
            let wait = left.as_millis().div_ceil(1000).min(u128::from(CHUNK_SECS));
            let wait = u64::try_from(wait).unwrap_or(CHUNK_SECS);
            let answer = self
                .client()
                .tfa_code(self.item(), self.lease_token(), since, wait)
                .await?;
            if let Some(code) = TfaCode::from_answer(answer)? {
                for secret in [&code.code, &code.link].into_iter().flatten() {
                    self.remember_secret(secret.expose_secret());
                }
                return Ok(Some(code));
            }
            if deadline.saturating_sub(rt::now()).is_zero() {
                return Ok(None);
            }
        }
    }
}

//! Writing credentials: the SDK seals, the vault verifies (DESIGN §6 ingest).

use super::Client;
use super::credential::Credential;
use super::error::{ClientError, ClientResult};
use crate::wire::{CredentialWritten, ErrorCode, PutCredential};
use crate::{Context, ItemInfo, Totp, seal_item};

impl Client {
    /// Creates credential `id`: seals it (and the TOTP seed, if any) under
    /// the user's current data key and stores it. A deleted id continues
    /// from its tombstone. If the item exists, fails with
    /// `version_conflict` carrying its current version: never overwrites.
    pub async fn put_credential(
        &self,
        id: &str,
        credential: &Credential,
        totp: Option<&Totp>,
        config: &serde_json::Value,
    ) -> ClientResult<CredentialWritten> {
        match self
            .replace_credential(id, 0, credential, totp, config)
            .await
        {
            Err(ClientError::Api(e)) if e.is(ErrorCode::VersionConflict) => {
                let current = e.current_version.unwrap_or(0);
                if current == 0 || self.is_live(id).await? {
                    return Err(e.into());
                }
                // A tombstone: the next version continues from it.
                self.replace_credential(id, current, credential, totp, config)
                    .await
            }
            other => other,
        }
    }

    /// Replaces credential `id` at `expected_version` (0 for a new item) as
    /// a whole: without `totp` the item keeps no TOTP seed. On
    /// `stale_data_key` refetches the key, re-seals and retries once.
    pub async fn replace_credential(
        &self,
        id: &str,
        expected_version: u64,
        credential: &Credential,
        totp: Option<&Totp>,
        config: &serde_json::Value,
    ) -> ClientResult<CredentialWritten> {
        let body = self
            .seal_credential(id, expected_version, credential, totp, config)
            .await?;
        match self.put_credential_envelopes(id, &body).await {
            Err(ClientError::Api(e)) if e.is(ErrorCode::StaleDataKey) => {
                self.forget_data_key();
                let body = self
                    .seal_credential(id, expected_version, credential, totp, config)
                    .await?;
                self.put_credential_envelopes(id, &body).await
            }
            other => other,
        }
    }

    async fn seal_credential(
        &self,
        id: &str,
        expected_version: u64,
        credential: &Credential,
        totp: Option<&Totp>,
        config: &serde_json::Value,
    ) -> ClientResult<PutCredential> {
        crate::wire::CredentialConfig::from_value(config)?;
        let user = self.user_id().await?;
        let key = self.data_key().await?;
        let version = expected_version + 1;
        let info = ItemInfo::credential(&user, id, version, config);
        let envelope = seal_item(&key, &info, &Context::new(), &credential.to_plaintext()?)?;
        let totp_envelope = match totp {
            Some(totp) => {
                let info = ItemInfo::totp_seed(&user, id, version);
                Some(seal_item(
                    &key,
                    &info,
                    &Context::new(),
                    totp.to_uri().as_bytes(),
                )?)
            }
            None => None,
        };
        Ok(PutCredential {
            envelope,
            totp_envelope,
            config: config.clone(),
            expected_version,
        })
    }

    async fn is_live(&self, id: &str) -> ClientResult<bool> {
        match self.get_credential(id).await {
            Ok(_) => Ok(true),
            Err(ClientError::Api(e)) if e.is(ErrorCode::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

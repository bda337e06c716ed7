//! Browser session state and proxies on the lease guard (DESIGN §7):
//! save, load and delete the sealed state, resolve the proxy.
//!
//! # Versions
//! The state has its own version counter. [`Session::load_state`]
//! remembers the version it read (or, on a 404, the last version the vault
//! reports), and [`Session::save_state`] writes the next one. A save with
//! no load before it first reads the current version with a GET, so a
//! fresh login replaces whatever state was there; a writer that saved in
//! between still gets `version_conflict`, which is reported, never
//! overwritten.
//!
//! # Security
//! The state is filtered by the credential's persistence flags and sealed
//! here under the state key; the vault only sees the envelope.

use super::error::{ClientError, ClientResult};
use super::session::Session;
use crate::browser_state::BrowserState;
use crate::wire::{
    CredentialConfig, ErrorCode, ProxyAnswer, ProxyRequest, PutSessionState, SessionStateWritten,
    WorkflowProxy,
};
use crate::{Context, Error, ItemInfo, open, seal_item};

impl Session {
    /// The credential's config from the grant; `None` when the vault sent none.
    fn typed_config(&self) -> ClientResult<Option<CredentialConfig>> {
        match self.config() {
            serde_json::Value::Null => Ok(None),
            config => Ok(Some(CredentialConfig::from_value(config)?)),
        }
    }

    /// Seals and stores `state`, keeping only what the credential's
    /// persistence flags allow, at the next version, fenced by this lease.
    /// With `expiration.follow_cookie_expiry` the earliest persistent
    /// cookie expiry goes along as the state's `expires_at`. After a data-key
    /// rotation (`stale_data_key`) it heartbeats for the new state key,
    /// re-seals and retries once. Errors: `version_conflict` (another
    /// holder saved since this one read), `stale_fencing_token` (a newer
    /// lease wrote), `lease_required`.
    pub async fn save_state(&self, state: &BrowserState) -> ClientResult<SessionStateWritten> {
        let config = self.typed_config()?;
        let flags = config
            .as_ref()
            .map(CredentialConfig::persistence)
            .unwrap_or_default();
        let kept = state.filter(&flags);
        let follow = config
            .as_ref()
            .and_then(|c| c.expiration)
            .is_some_and(|e| e.follow_cookie_expiry);
        let expires_at = kept.earliest_cookie_expiry().filter(|_| follow);
        let plaintext = kept.to_plaintext()?;
        let expected_version = match self.known_state_version() {
            Some(version) => version,
            None => self.current_state_version().await?,
        };
        let written = match self
            .put_sealed(&plaintext, expected_version, expires_at)
            .await
        {
            Err(e) if e.is(ErrorCode::StaleDataKey) => {
                self.heartbeat().await?;
                self.put_sealed(&plaintext, expected_version, expires_at)
                    .await?
            }
            other => other?,
        };
        self.remember_state_version(Some(written.version));
        Ok(written)
    }

    /// Seals `plaintext` as version `expected_version + 1` and PUTs it.
    async fn put_sealed(
        &self,
        plaintext: &[u8],
        expected_version: u64,
        expires_at: Option<i64>,
    ) -> ClientResult<SessionStateWritten> {
        let user = self.client().user_id().await?;
        let version = expected_version
            .checked_add(1)
            .ok_or_else(|| Error::InvalidRequest("state version overflow".into()))?;
        let info = ItemInfo::session_state(&user, self.item(), version);
        let envelope = seal_item(&self.state_key(), &info, &Context::new(), plaintext)?;
        let body = PutSessionState {
            envelope,
            expected_version,
            expires_at,
        };
        self.client()
            .put_session_state(self.item(), self.lease_token(), self.fencing_token(), &body)
            .await
    }

    /// The stored state, opened here with the state key after checking its
    /// full context (user, item, kind `session-state`, version); `None`
    /// when there is none or it expired. A state re-sealed by a rotation
    /// this lease has not heard of yet is opened after a heartbeat.
    pub async fn load_state(&self) -> ClientResult<Option<BrowserState>> {
        let body = match self
            .client()
            .get_session_state(self.item(), self.lease_token())
            .await
        {
            Ok(body) => body,
            Err(ClientError::Api(e)) if e.is(ErrorCode::NotFound) => {
                self.remember_state_version(Some(e.current_version.unwrap_or(0)));
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let user = self.client().user_id().await?;
        let expected = ItemInfo::session_state(&user, self.item(), body.version).context()?;
        let plaintext = match open(&self.state_key(), &body.envelope, &expected) {
            Err(Error::WrongKey { .. }) => {
                self.heartbeat().await?;
                open(&self.state_key(), &body.envelope, &expected)?
            }
            other => other?,
        };
        let state = BrowserState::from_plaintext(&plaintext)?;
        self.remember_state_version(Some(body.version));
        Ok(Some(state))
    }

    /// Deletes the stored state (fenced by this lease). The version counter
    /// lives on in the vault: the next save continues from it.
    pub async fn delete_state(&self) -> ClientResult<()> {
        self.client()
            .delete_session_state(self.item(), self.lease_token(), self.fencing_token())
            .await
    }

    /// The proxy to run the browser through: the credential's pool member
    /// when its config enables one, else `workflow_proxy`, else none; the
    /// answer says which source won. The URL may hold credentials: it is a
    /// secret string, never printed.
    pub async fn resolve_proxy(
        &self,
        workflow_proxy: Option<WorkflowProxy>,
    ) -> ClientResult<ProxyAnswer> {
        let body = ProxyRequest { workflow_proxy };
        self.client()
            .resolve_proxy(self.item(), self.lease_token(), &body)
            .await
    }

    /// The state's current version per the vault (a GET; 0 when never written).
    async fn current_state_version(&self) -> ClientResult<u64> {
        match self
            .client()
            .get_session_state(self.item(), self.lease_token())
            .await
        {
            Ok(body) => Ok(body.version),
            Err(ClientError::Api(e)) if e.is(ErrorCode::NotFound) => {
                Ok(e.current_version.unwrap_or(0))
            }
            Err(e) => Err(e),
        }
    }
}

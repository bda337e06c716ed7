//! A synchronous client (feature `blocking`): the async [`super::Client`]
//! driven by a private one-worker tokio runtime, which also runs the lease
//! heartbeats in the background. Do not call it from inside an async
//! runtime (like `reqwest::blocking`, it would panic there).

use std::sync::Arc;
use std::time::Duration;

use super::{
    ClientBuilder, ClientError, ClientResult, Credential, OneTimeCode, SessionOptions, TfaCode,
};
use crate::browser_state::BrowserState;
use crate::wire::{
    Access, AcquireLease, AuditList, CreateToken, CredentialDetail, CredentialSummary,
    CredentialWritten, Heartbeat, LeaseGrant, LeasePhase, LoginComplete, Me, Meta, PutCredential,
    Rotated, SecretString, TfaCodeAnswer, TokenCreated, TokenInfo, TotpCode, TotpRequest, User,
};
use crate::wire::{
    ProxyAnswer, ProxyRequest, PutSessionState, SessionStateBody, SessionStateWritten,
    WorkflowProxy,
};
use crate::{DataKey, KeyId, Totp};

pub use super::Purpose;

/// A synchronous client of one vault, for one bearer token. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    inner: super::Client,
    rt: Arc<tokio::runtime::Runtime>,
}

impl Client {
    /// A client with default options.
    pub fn new(base_url: &str, token: &str) -> ClientResult<Client> {
        Self::from_builder(super::Client::builder(base_url, token))
    }

    /// A client from async-client options.
    pub fn from_builder(builder: ClientBuilder) -> ClientResult<Client> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sealvault-client")
            .enable_all()
            .build()
            .map_err(|e| ClientError::Protocol(format!("cannot start the client runtime: {e}")))?;
        Ok(Client {
            inner: builder.build()?,
            rt: Arc::new(rt),
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &super::Client {
        &self.inner
    }

    /// Takes a lease on credential `id`, waiting up to 30 s; see [`super::Client::session`].
    pub fn session(&self, id: &str, purpose: Purpose) -> ClientResult<Session> {
        self.session_with(id, SessionOptions::new(purpose))
    }

    /// Takes a lease with explicit options.
    pub fn session_with(&self, id: &str, options: SessionOptions) -> ClientResult<Session> {
        let inner = self.rt.block_on(self.inner.session_with(id, options))?;
        Ok(Session {
            inner: Some(inner),
            rt: self.rt.clone(),
        })
    }

    /// Drops the cached data key.
    pub fn forget_data_key(&self) {
        self.inner.forget_data_key();
    }
}

/// Forwards each listed method to the async client, blocking on it.
macro_rules! blocking {
    ($($(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Client {
            $(
                $(#[$doc])*
                pub fn $name(&self $(, $arg: $ty)*) -> ClientResult<$ret> {
                    self.rt.block_on(self.inner.$name($($arg),*))
                }
            )*
        }
    };
}

blocking! {
    /// `GET /healthz`.
    fn healthz(&self) -> serde_json::Value;
    /// `GET /metrics`.
    fn metrics(&self) -> String;
    /// `GET /openapi.json`.
    fn openapi(&self) -> serde_json::Value;
    /// `GET /v1/meta`.
    fn meta(&self) -> Meta;
    /// `GET /v1/me`.
    fn me(&self) -> Me;
    /// The token's user id, cached.
    fn user_id(&self) -> Arc<str>;
    /// The user's current data key, cached.
    fn data_key(&self) -> Arc<DataKey>;
    /// `POST /v1/users` (admin).
    fn create_user(&self, name: &str) -> User;
    /// `POST /v1/users/{user_id}/tokens` (admin).
    fn create_token(&self, user_id: &str, token: &CreateToken) -> TokenCreated;
    /// `GET /v1/users/{user_id}/tokens` (admin).
    fn list_tokens(&self, user_id: &str) -> Vec<TokenInfo>;
    /// `DELETE /v1/users/{user_id}/tokens/{token_id}` (admin).
    fn revoke_token(&self, user_id: &str, token_id: &str) -> ();
    /// `POST /v1/keys`.
    fn create_data_key(&self) -> DataKey;
    /// `GET /v1/keys/current`, uncached.
    fn current_data_key(&self) -> DataKey;
    /// `POST /v1/keys/rotate`.
    fn rotate_data_key(&self, expected_key_id: KeyId) -> Rotated;
    /// Seals and creates a credential; see [`super::Client::put_credential`].
    fn put_credential(&self, id: &str, credential: &Credential, totp: Option<&Totp>, config: &serde_json::Value) -> CredentialWritten;
    /// Seals and replaces a credential at a version.
    fn replace_credential(&self, id: &str, expected_version: u64, credential: &Credential, totp: Option<&Totp>, config: &serde_json::Value) -> CredentialWritten;
    /// `PUT /v1/credentials/{id}` with caller-sealed envelopes.
    fn put_credential_envelopes(&self, id: &str, body: &PutCredential) -> CredentialWritten;
    /// `GET /v1/credentials`.
    fn list_credentials(&self) -> Vec<CredentialSummary>;
    /// `GET /v1/credentials/{id}`.
    fn get_credential(&self, id: &str) -> CredentialDetail;
    /// `DELETE /v1/credentials/{id}`.
    fn delete_credential(&self, id: &str, expected_version: u64) -> ();
    /// `POST /v1/credentials/{id}/sessions`, without a guard.
    fn acquire_lease(&self, id: &str, body: &AcquireLease) -> LeaseGrant;
    /// `POST /v1/sessions/{sid}/heartbeat`.
    fn heartbeat(&self, session_id: &str, lease: &SecretString) -> Heartbeat;
    /// `POST /v1/sessions/{sid}/login-complete`.
    fn login_complete(&self, session_id: &str, lease: &SecretString) -> LoginComplete;
    /// `DELETE /v1/sessions/{sid}`.
    fn release_lease(&self, session_id: &str, lease: &SecretString) -> ();
    /// `POST /v1/credentials/{id}/access`, unopened.
    fn access_envelope(&self, id: &str, lease: &SecretString) -> Access;
    /// `POST /v1/credentials/{id}/totp`, once.
    fn totp_code(&self, id: &str, lease: &SecretString, body: &TotpRequest) -> TotpCode;
    /// `GET /v1/credentials/{id}/tfa-code`, one long poll.
    fn tfa_code(&self, id: &str, lease: &SecretString, since: Option<i64>, wait_secs: u64) -> TfaCodeAnswer;
    /// `PUT /v1/credentials/{id}/session-state` with a caller-sealed state.
    fn put_session_state(&self, id: &str, lease: &SecretString, fencing_token: u64, body: &PutSessionState) -> SessionStateWritten;
    /// `GET /v1/credentials/{id}/session-state`, unopened.
    fn get_session_state(&self, id: &str, lease: &SecretString) -> SessionStateBody;
    /// `DELETE /v1/credentials/{id}/session-state`.
    fn delete_session_state(&self, id: &str, lease: &SecretString, fencing_token: u64) -> ();
    /// `POST /v1/credentials/{id}/proxy`.
    fn resolve_proxy(&self, id: &str, lease: &SecretString, body: &ProxyRequest) -> ProxyAnswer;
    /// `GET /v1/audit`.
    fn audit(&self) -> AuditList;
}

/// A held lease (blocking); released on drop, synchronously.
#[derive(Debug)]
pub struct Session {
    inner: Option<super::Session>,
    rt: Arc<tokio::runtime::Runtime>,
}

impl Session {
    fn inner(&self) -> &super::Session {
        // Only `release`/`drop` take it out, and both consume the session.
        self.inner
            .as_ref()
            .unwrap_or_else(|| unreachable!("session used after release"))
    }

    /// The credential this lease is on.
    pub fn item(&self) -> &str {
        self.inner().item()
    }

    /// The session (lease) id.
    pub fn session_id(&self) -> &str {
        self.inner().session_id()
    }

    /// The fencing token.
    pub fn fencing_token(&self) -> u64 {
        self.inner().fencing_token()
    }

    /// The lease's phase.
    pub fn phase(&self) -> LeasePhase {
        self.inner().phase()
    }

    /// When the lease ends without another heartbeat.
    pub fn expires_at(&self) -> i64 {
        self.inner().expires_at()
    }

    /// Why the background heartbeat stopped, if the lease was lost.
    pub fn lost(&self) -> Option<String> {
        self.inner().lost()
    }

    /// The credential's current state key.
    pub fn state_key(&self) -> Arc<DataKey> {
        self.inner().state_key()
    }

    /// The credential, opened; see [`super::Session::access`].
    pub fn access(&self) -> ClientResult<Credential> {
        self.rt.block_on(self.inner().access())
    }

    /// The vault's TOTP code with at least `min_validity_secs` left.
    pub fn totp(&self, min_validity_secs: u64) -> ClientResult<OneTimeCode> {
        self.rt.block_on(self.inner().totp(min_validity_secs))
    }

    /// See [`super::Session::redact`].
    pub fn redact(&self, text: &str) -> String {
        self.inner().redact(text)
    }

    /// Waits up to `timeout` for the email or SMS code; see
    /// [`super::Session::wait_for_tfa_code`].
    pub fn wait_for_tfa_code(&self, timeout: Duration) -> ClientResult<Option<TfaCode>> {
        self.rt.block_on(self.inner().wait_for_tfa_code(timeout))
    }

    /// As [`Session::wait_for_tfa_code`], for codes received at or after `since`.
    pub fn wait_for_tfa_code_since(
        &self,
        timeout: Duration,
        since: i64,
    ) -> ClientResult<Option<TfaCode>> {
        self.rt
            .block_on(self.inner().wait_for_tfa_code_since(timeout, since))
    }

    /// Ends the login phase.
    pub fn login_complete(&self) -> ClientResult<()> {
        self.rt.block_on(self.inner().login_complete())
    }

    /// The credential's config from the grant.
    pub fn config(&self) -> &serde_json::Value {
        self.inner().config()
    }

    /// Filters, seals and stores the browser state; see [`super::Session::save_state`].
    pub fn save_state(&self, state: &BrowserState) -> ClientResult<SessionStateWritten> {
        self.rt.block_on(self.inner().save_state(state))
    }

    /// The stored browser state, opened; `None` when absent or expired.
    pub fn load_state(&self) -> ClientResult<Option<BrowserState>> {
        self.rt.block_on(self.inner().load_state())
    }

    /// Deletes the stored browser state.
    pub fn delete_state(&self) -> ClientResult<()> {
        self.rt.block_on(self.inner().delete_state())
    }

    /// The proxy to use; see [`super::Session::resolve_proxy`].
    pub fn resolve_proxy(
        &self,
        workflow_proxy: Option<WorkflowProxy>,
    ) -> ClientResult<ProxyAnswer> {
        self.rt.block_on(self.inner().resolve_proxy(workflow_proxy))
    }

    /// Renews the lease now.
    pub fn heartbeat(&self) -> ClientResult<()> {
        self.rt.block_on(self.inner().heartbeat())
    }

    /// Releases the lease now, reporting any error.
    pub fn release(mut self) -> ClientResult<()> {
        match self.inner.take() {
            Some(inner) => self.rt.block_on(inner.release()),
            None => Ok(()),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = self.rt.block_on(inner.release());
        }
    }
}

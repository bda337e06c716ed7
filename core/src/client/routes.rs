//! One method per route of the HTTP API v1 (DESIGN §9), typed with the
//! wire types. The sealing helpers and the lease guard build on these.

use std::time::Duration;

use reqwest::Method;

use super::Client;
use super::error::ClientResult;
use super::http::{Call, Retry};
use crate::wire::{
    Access, AcquireLease, AuditList, CreateToken, CreateUser, CredentialDetail, CredentialList,
    CredentialSummary, CredentialWritten, DataKeyBody, Heartbeat, LeaseGrant, LoginComplete, Me,
    Meta, ProxyAnswer, ProxyRequest, PutCredential, PutSessionState, RotateKey, Rotated,
    SecretString, SessionStateBody, SessionStateWritten, TfaCodeAnswer, TokenCreated, TokenInfo,
    TokenList, TotpCode, TotpRequest, User,
};
use crate::{DataKey, KeyId};

impl Client {
    /// `GET /healthz`: `Ok` when the vault and its database answer.
    pub async fn healthz(&self) -> ClientResult<serde_json::Value> {
        self.call(Call::new(Method::GET, &["healthz"], Retry::Idempotent))
            .await
    }

    /// `GET /metrics`: Prometheus text.
    pub async fn metrics(&self) -> ClientResult<String> {
        let body = self
            .send(&Call::new(Method::GET, &["metrics"], Retry::Idempotent))
            .await?;
        String::from_utf8(body.to_vec())
            .map_err(|_| super::ClientError::Protocol("metrics are not UTF-8".into()))
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> ClientResult<serde_json::Value> {
        self.call(Call::new(Method::GET, &["openapi.json"], Retry::Idempotent))
            .await
    }

    /// `GET /v1/meta`: version and limits.
    pub async fn meta(&self) -> ClientResult<Meta> {
        self.call(Call::new(Method::GET, &["v1", "meta"], Retry::Idempotent))
            .await
    }

    /// `GET /v1/me`: the token's user, scopes and items.
    pub async fn me(&self) -> ClientResult<Me> {
        self.call(Call::new(Method::GET, &["v1", "me"], Retry::Idempotent))
            .await
    }

    /// `POST /v1/users` (admin).
    pub async fn create_user(&self, name: &str) -> ClientResult<User> {
        let body = CreateUser {
            name: name.to_owned(),
        };
        self.call(Call::new(Method::POST, &["v1", "users"], Retry::UnsentOnly).json(&body)?)
            .await
    }

    /// `POST /v1/users/{user_id}/tokens` (admin): the secret is in the answer, once.
    pub async fn create_token(
        &self,
        user_id: &str,
        token: &CreateToken,
    ) -> ClientResult<TokenCreated> {
        let path = ["v1", "users", user_id, "tokens"];
        self.call(Call::new(Method::POST, &path, Retry::UnsentOnly).json(token)?)
            .await
    }

    /// `GET /v1/users/{user_id}/tokens` (admin): never the secrets.
    pub async fn list_tokens(&self, user_id: &str) -> ClientResult<Vec<TokenInfo>> {
        let path = ["v1", "users", user_id, "tokens"];
        let list: TokenList = self
            .call(Call::new(Method::GET, &path, Retry::Idempotent))
            .await?;
        Ok(list.items)
    }

    /// `DELETE /v1/users/{user_id}/tokens/{token_id}` (admin).
    pub async fn revoke_token(&self, user_id: &str, token_id: &str) -> ClientResult<()> {
        let path = ["v1", "users", user_id, "tokens", token_id];
        self.call(Call::new(Method::DELETE, &path, Retry::Idempotent))
            .await
    }

    /// `POST /v1/keys` (keys:use): creates the user's first data key.
    pub async fn create_data_key(&self) -> ClientResult<DataKey> {
        let body: DataKeyBody = self
            .call(Call::new(Method::POST, &["v1", "keys"], Retry::UnsentOnly))
            .await?;
        data_key(&body)
    }

    /// `GET /v1/keys/current` (keys:use), uncached; see [`Client::data_key`].
    pub async fn current_data_key(&self) -> ClientResult<DataKey> {
        let body: DataKeyBody = self
            .call(Call::new(
                Method::GET,
                &["v1", "keys", "current"],
                Retry::Idempotent,
            ))
            .await?;
        data_key(&body)
    }

    /// `POST /v1/keys/rotate` (keys:rotate): a new data key; every envelope
    /// of the user is re-sealed under it. Forgets the cached key.
    pub async fn rotate_data_key(&self, expected_key_id: KeyId) -> ClientResult<Rotated> {
        let body = RotateKey { expected_key_id };
        let rotated = self
            .call(
                Call::new(Method::POST, &["v1", "keys", "rotate"], Retry::UnsentOnly)
                    .json(&body)?,
            )
            .await;
        self.forget_data_key();
        rotated
    }

    /// `PUT /v1/credentials/{id}` with envelopes sealed by the caller; see
    /// [`Client::put_credential`] for the sealing one.
    pub async fn put_credential_envelopes(
        &self,
        id: &str,
        body: &PutCredential,
    ) -> ClientResult<CredentialWritten> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id];
        // Compare-and-set on `expected_version`: a repeat is refused, never applied twice.
        self.call(Call::new(Method::PUT, &path, Retry::Idempotent).json(body)?)
            .await
    }

    /// `GET /v1/credentials`: the credentials this token may see.
    pub async fn list_credentials(&self) -> ClientResult<Vec<CredentialSummary>> {
        let list: CredentialList = self
            .call(Call::new(
                Method::GET,
                &["v1", "credentials"],
                Retry::Idempotent,
            ))
            .await?;
        Ok(list.items)
    }

    /// `GET /v1/credentials/{id}` (secrets:write): the item and its envelopes.
    pub async fn get_credential(&self, id: &str) -> ClientResult<CredentialDetail> {
        crate::item::validate_item_id(id)?;
        self.call(Call::new(
            Method::GET,
            &["v1", "credentials", id],
            Retry::Idempotent,
        ))
        .await
    }

    /// `DELETE /v1/credentials/{id}?expected_version=` (secrets:write): leaves a tombstone.
    pub async fn delete_credential(&self, id: &str, expected_version: u64) -> ClientResult<()> {
        crate::item::validate_item_id(id)?;
        let query = [("expected_version", expected_version.to_string())];
        let path = ["v1", "credentials", id];
        let mut call = Call::new(Method::DELETE, &path, Retry::Idempotent);
        call.query = &query;
        self.call(call).await
    }

    /// `POST /v1/credentials/{id}/sessions` (sessions): a lease; see
    /// [`Client::session`] for the guard. Retried only if never sent.
    pub async fn acquire_lease(&self, id: &str, body: &AcquireLease) -> ClientResult<LeaseGrant> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "sessions"];
        let mut call = Call::new(Method::POST, &path, Retry::UnsentOnly).json(body)?;
        call.extra_timeout = Duration::from_secs(body.wait_secs.unwrap_or(0));
        self.call(call).await
    }

    /// `POST /v1/sessions/{sid}/heartbeat` (sessions + lease).
    pub async fn heartbeat(
        &self,
        session_id: &str,
        lease: &SecretString,
    ) -> ClientResult<Heartbeat> {
        let path = ["v1", "sessions", session_id, "heartbeat"];
        self.call(Call::new(Method::POST, &path, Retry::Idempotent).lease(lease))
            .await
    }

    /// `POST /v1/sessions/{sid}/login-complete` (sessions + lease).
    pub async fn login_complete(
        &self,
        session_id: &str,
        lease: &SecretString,
    ) -> ClientResult<LoginComplete> {
        let path = ["v1", "sessions", session_id, "login-complete"];
        self.call(Call::new(Method::POST, &path, Retry::Idempotent).lease(lease))
            .await
    }

    /// `DELETE /v1/sessions/{sid}` (sessions + lease).
    pub async fn release_lease(&self, session_id: &str, lease: &SecretString) -> ClientResult<()> {
        let path = ["v1", "sessions", session_id];
        self.call(Call::new(Method::DELETE, &path, Retry::Idempotent).lease(lease))
            .await
    }

    /// `POST /v1/credentials/{id}/access` (secrets:access + login phase):
    /// the envelope and the key that opens it alone; see [`super::Session::access`].
    pub async fn access_envelope(&self, id: &str, lease: &SecretString) -> ClientResult<Access> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "access"];
        self.call(Call::new(Method::POST, &path, Retry::UnsentOnly).lease(lease))
            .await
    }

    /// `POST /v1/credentials/{id}/totp` (secrets:access + login phase).
    pub async fn totp_code(
        &self,
        id: &str,
        lease: &SecretString,
        body: &TotpRequest,
    ) -> ClientResult<TotpCode> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "totp"];
        self.call(
            Call::new(Method::POST, &path, Retry::UnsentOnly)
                .lease(lease)
                .json(body)?,
        )
        .await
    }

    /// `GET /v1/credentials/{id}/tfa-code?since=&wait=` (secrets:access +
    /// login phase): one long poll of up to `wait_secs` (the vault caps it);
    /// all `null` when no code came. See [`super::Session::wait_for_tfa_code`].
    pub async fn tfa_code(
        &self,
        id: &str,
        lease: &SecretString,
        since: Option<i64>,
        wait_secs: u64,
    ) -> ClientResult<TfaCodeAnswer> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "tfa-code"];
        let mut query = vec![("wait", wait_secs.to_string())];
        if let Some(since) = since {
            query.push(("since", since.to_string()));
        }
        // A code is handed out once: an answer lost in transit is not asked again.
        let mut call = Call::new(Method::GET, &path, Retry::UnsentOnly).lease(lease);
        call.query = &query;
        call.extra_timeout = Duration::from_secs(wait_secs);
        self.call(call).await
    }

    /// `PUT /v1/credentials/{id}/session-state` (sessions + lease): a state
    /// sealed by the caller, fenced by the lease's `fencing_token`; see
    /// [`super::Session::save_state`]. Compare-and-set on `expected_version`.
    pub async fn put_session_state(
        &self,
        id: &str,
        lease: &SecretString,
        fencing_token: u64,
        body: &PutSessionState,
    ) -> ClientResult<SessionStateWritten> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "session-state"];
        let call = Call::new(Method::PUT, &path, Retry::Idempotent)
            .lease(lease)
            .fencing(fencing_token)
            .json(body)?;
        self.call(call).await
    }

    /// `GET /v1/credentials/{id}/session-state` (sessions + lease): the
    /// sealed state; `not_found` (with the last `current_version`) when
    /// absent or expired. See [`super::Session::load_state`].
    pub async fn get_session_state(
        &self,
        id: &str,
        lease: &SecretString,
    ) -> ClientResult<SessionStateBody> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "session-state"];
        self.call(Call::new(Method::GET, &path, Retry::Idempotent).lease(lease))
            .await
    }

    /// `DELETE /v1/credentials/{id}/session-state` (sessions + lease), fenced.
    pub async fn delete_session_state(
        &self,
        id: &str,
        lease: &SecretString,
        fencing_token: u64,
    ) -> ClientResult<()> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "session-state"];
        let call = Call::new(Method::DELETE, &path, Retry::Idempotent)
            .lease(lease)
            .fencing(fencing_token);
        self.call(call).await
    }

    /// `POST /v1/credentials/{id}/proxy` (sessions + lease): the proxy to
    /// use — the credential's, else the workflow's passed in, else none.
    pub async fn resolve_proxy(
        &self,
        id: &str,
        lease: &SecretString,
        body: &ProxyRequest,
    ) -> ClientResult<ProxyAnswer> {
        crate::item::validate_item_id(id)?;
        let path = ["v1", "credentials", id, "proxy"];
        let call = Call::new(Method::POST, &path, Retry::Idempotent)
            .lease(lease)
            .json(body)?;
        self.call(call).await
    }

    /// `GET /v1/audit`: every record (admin) or the user's own.
    pub async fn audit(&self) -> ClientResult<AuditList> {
        self.call(Call::new(Method::GET, &["v1", "audit"], Retry::Idempotent))
            .await
    }
}

fn data_key(body: &DataKeyBody) -> ClientResult<DataKey> {
    Ok(DataKey::from_api(
        &body.key_id.to_hex(),
        body.key.expose_secret(),
    )?)
}

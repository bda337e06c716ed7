//! Leases as a guard (DESIGN §7 concurrent sessions): acquire, heartbeat in
//! the background, access the credential and codes in the login phase,
//! release on drop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::credential::Credential;
use super::error::{ClientError, ClientResult};
use super::{Client, lock, rt};
use crate::wire::{
    AcquireLease, CredentialConfig, ErrorCode, Heartbeat, LeaseGrant, LeasePhase, LeasePurpose,
    SecretString, TotpRequest,
};
use crate::{DataKey, EnvelopeKey, ItemInfo, KeyId, open_with_envelope_key};

pub use crate::wire::LeasePurpose as Purpose;

/// How a session is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOptions {
    /// `Login` (may access the credential) or `Use` (state only).
    pub purpose: LeasePurpose,
    /// How long the vault may hold the request waiting for a free slot.
    pub wait: Duration,
    /// Lease lifetime without heartbeat (`None`: the vault's default, 60 s).
    pub ttl: Option<Duration>,
    /// Heartbeat in the background (at a third of the TTL).
    pub heartbeat: bool,
}

impl SessionOptions {
    /// Waits up to 30 s for a slot, default TTL, background heartbeat.
    pub fn new(purpose: LeasePurpose) -> Self {
        Self {
            purpose,
            wait: Duration::from_secs(30),
            ttl: None,
            heartbeat: true,
        }
    }
}

/// A one-time code and how long it stays valid.
#[derive(Debug)]
pub struct OneTimeCode {
    /// The code; wiped on drop, redacted in `Debug`.
    pub code: SecretString,
    /// Seconds of validity left when the vault answered.
    pub seconds_left: u64,
}

/// A held lease on one credential. Released by [`Session::release`], or on
/// drop (in the background, when a runtime is there to run it; otherwise
/// the lease ends with its TTL).
pub struct Session {
    client: Client,
    item: String,
    shared: Arc<Shared>,
    fencing_token: u64,
    purpose: LeasePurpose,
    /// The credential's config as the grant carried it (`null` if none).
    config: serde_json::Value,
    /// The session-state version last seen (loaded, saved, or a 404's).
    state_version: Mutex<Option<u64>>,
    /// Secrets handed out through this guard, for [`Session::redact`].
    redactor: crate::redact::Redactor,
    released: bool,
}

/// What the session and its heartbeat task share.
struct Shared {
    session_id: String,
    lease_token: SecretString,
    live: Mutex<Live>,
    stop: AtomicBool,
}

struct Live {
    phase: LeasePhase,
    expires_at: i64,
    state_key: Arc<DataKey>,
    lost: Option<String>,
}

impl Client {
    /// Takes a lease on credential `id` for `purpose`, waiting up to 30 s.
    pub async fn session(&self, id: &str, purpose: Purpose) -> ClientResult<Session> {
        self.session_with(id, SessionOptions::new(purpose)).await
    }

    /// Takes a lease with explicit options.
    pub async fn session_with(&self, id: &str, options: SessionOptions) -> ClientResult<Session> {
        let body = AcquireLease {
            purpose: options.purpose,
            wait_secs: Some(options.wait.as_secs()),
            ttl_secs: options.ttl.map(|t| t.as_secs().max(1)),
        };
        let grant = self.acquire_lease(id, &body).await?;
        let session = Session::new(self.clone(), id, grant)?;
        if options.heartbeat {
            let ttl = options.ttl.unwrap_or(Duration::from_secs(60));
            session.start_heartbeat((ttl / 3).max(Duration::from_secs(1)));
        }
        Ok(session)
    }
}

impl Session {
    fn new(client: Client, item: &str, mut grant: LeaseGrant) -> ClientResult<Self> {
        let state_key = state_key(&grant.state_key, grant.state_key_id)?;
        let fencing_token = grant.fencing_token;
        let purpose = grant.purpose;
        let config = std::mem::take(&mut grant.config);
        let shared = Arc::new(Shared {
            session_id: grant.session_id.clone(),
            lease_token: SecretString::new(grant.lease_token.expose_secret().to_owned()),
            live: Mutex::new(Live {
                phase: grant.phase,
                expires_at: grant.expires_at,
                state_key: Arc::new(state_key),
                lost: None,
            }),
            stop: AtomicBool::new(false),
        });
        Ok(Self {
            client,
            item: item.to_owned(),
            shared,
            fencing_token,
            purpose,
            config,
            state_version: Mutex::new(None),
            redactor: crate::redact::Redactor::new(),
            released: false,
        })
    }

    fn start_heartbeat(&self, every: Duration) {
        let client = self.client.clone();
        let shared = self.shared.clone();
        rt::spawn(async move {
            loop {
                rt::background_sleep(every).await;
                if shared.stop.load(Ordering::Acquire) {
                    return;
                }
                if let Err(lost) = shared.beat(&client).await {
                    lock(&shared.live).lost = Some(lost);
                    return;
                }
            }
        });
    }

    /// The credential this lease is on.
    pub fn item(&self) -> &str {
        &self.item
    }

    /// The session (lease) id.
    pub fn session_id(&self) -> &str {
        &self.shared.session_id
    }

    /// The fencing token, sent as `X-Fencing-Token` on state writes.
    pub fn fencing_token(&self) -> u64 {
        self.fencing_token
    }

    /// The purpose the lease was taken for.
    pub fn purpose(&self) -> LeasePurpose {
        self.purpose
    }

    /// `Login` until [`Session::login_complete`], then `Active`.
    pub fn phase(&self) -> LeasePhase {
        lock(&self.shared.live).phase
    }

    /// When the lease ends without another heartbeat (unix seconds).
    pub fn expires_at(&self) -> i64 {
        lock(&self.shared.live).expires_at
    }

    /// Why the background heartbeat stopped, if the lease was lost.
    pub fn lost(&self) -> Option<String> {
        lock(&self.shared.live).lost.clone()
    }

    /// The credential's current state key (kind `session-state` envelopes).
    pub fn state_key(&self) -> Arc<DataKey> {
        lock(&self.shared.live).state_key.clone()
    }

    /// The id of the data key the state key derives from.
    pub fn state_key_id(&self) -> KeyId {
        lock(&self.shared.live).state_key.key_id()
    }

    /// The credential's config as the grant carried it (`null` from a vault
    /// that sends none).
    pub fn config(&self) -> &serde_json::Value {
        &self.config
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn lease_token(&self) -> &SecretString {
        &self.shared.lease_token
    }

    pub(super) fn known_state_version(&self) -> Option<u64> {
        *lock(&self.state_version)
    }

    pub(super) fn remember_state_version(&self, version: Option<u64>) {
        *lock(&self.state_version) = version;
    }

    /// Renews the lease now (the background task does this on its own).
    pub async fn heartbeat(&self) -> ClientResult<()> {
        let answer = self
            .client
            .heartbeat(&self.shared.session_id, &self.shared.lease_token)
            .await?;
        self.shared.apply(&answer);
        Ok(())
    }

    /// The credential, opened here with the key the vault released for this
    /// one envelope, after checking its `sv:` context — user, item, kind,
    /// version and the hash of the config handed back. Login phase only.
    pub async fn access(&self) -> ClientResult<Credential> {
        let user = self.client.user_id().await?;
        let answer = self
            .client
            .access_envelope(&self.item, &self.shared.lease_token)
            .await?;
        let key = EnvelopeKey::from_api(answer.envelope_key.expose_secret())?;
        let expected =
            ItemInfo::credential(&user, &self.item, answer.version, &answer.config).context()?;
        let plaintext = open_with_envelope_key(&key, &answer.envelope, &expected)?;
        let mut credential = Credential::from_plaintext(&plaintext)?;
        let config = CredentialConfig::from_value(&answer.config)?;
        credential.set_login_url(config.login_url.clone());
        self.redactor.add(credential.password.expose_secret());
        for value in credential.fields.values() {
            self.redactor.add(value.expose_secret());
        }
        Ok(credential)
    }

    /// The current TOTP code, computed by the vault, with at least
    /// `min_validity_secs` left; waits as the vault says when the code of
    /// this step is too short-lived or already handed out. Login phase only.
    pub async fn totp(&self, min_validity_secs: u64) -> ClientResult<OneTimeCode> {
        let request = TotpRequest {
            min_validity_secs: Some(min_validity_secs),
        };
        for _ in 0..4 {
            let answer = self
                .client
                .totp_code(&self.item, &self.shared.lease_token, &request)
                .await?;
            match (answer.code, answer.retry_after_secs) {
                (Some(code), _) => {
                    self.redactor.add(&code);
                    return Ok(OneTimeCode {
                        code: SecretString::new(code),
                        seconds_left: answer.seconds_left.unwrap_or(0),
                    });
                }
                (None, Some(wait)) => rt::sleep(Duration::from_secs(wait.clamp(1, 120))).await,
                (None, None) => break,
            }
        }
        Err(ClientError::Protocol(
            "the vault handed out no TOTP code".into(),
        ))
    }

    /// `text` with every secret this guard handed out — the password and
    /// fields of [`Session::access`], codes of [`Session::totp`] and
    /// [`Session::wait_for_tfa_code`], magic links — replaced by
    /// `[REDACTED]` (also percent-encoded and JSON-escaped forms). For agent
    /// logs and text sent to a language model; the values are wiped when
    /// the guard is dropped or released.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// Remembers one more secret for [`Session::redact`].
    pub(crate) fn remember_secret(&self, secret: &str) {
        self.redactor.add(secret);
    }

    /// Ends the login phase (also right away when a saved state still works).
    pub async fn login_complete(&self) -> ClientResult<()> {
        let done = self
            .client
            .login_complete(&self.shared.session_id, &self.shared.lease_token)
            .await?;
        let mut live = lock(&self.shared.live);
        live.phase = done.phase;
        live.expires_at = done.expires_at;
        Ok(())
    }

    /// Releases the lease now, reporting any error.
    pub async fn release(mut self) -> ClientResult<()> {
        self.released = true;
        self.shared.stop.store(true, Ordering::Release);
        self.client
            .release_lease(&self.shared.session_id, &self.shared.lease_token)
            .await
    }
}

impl Shared {
    /// Takes in a heartbeat's phase, expiry and (possibly rotated) state key.
    fn apply(&self, answer: &Heartbeat) {
        let mut live = lock(&self.live);
        live.phase = answer.phase;
        live.expires_at = answer.expires_at;
        if let Ok(key) = state_key(&answer.state_key, answer.state_key_id) {
            live.state_key = Arc::new(key);
        }
    }

    /// One heartbeat; `Err` with a reason when the lease is gone.
    async fn beat(&self, client: &Client) -> Result<(), String> {
        match client.heartbeat(&self.session_id, &self.lease_token).await {
            Ok(answer) => {
                self.apply(&answer);
                Ok(())
            }
            Err(e) if e.is(ErrorCode::NotFound) || e.is(ErrorCode::LeaseRequired) => {
                Err(format!("lease lost: {}", e.code()))
            }
            // Transient: the next beat tries again.
            Err(_) => Ok(()),
        }
    }
}

fn state_key(key: &SecretString, key_id: KeyId) -> ClientResult<DataKey> {
    Ok(DataKey::from_api(&key_id.to_hex(), key.expose_secret())?)
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if self.released {
            return;
        }
        let client = self.client.clone();
        let shared = self.shared.clone();
        rt::spawn(async move {
            let _ = client
                .release_lease(&shared.session_id, &shared.lease_token)
                .await;
        });
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("item", &self.item)
            .field("session_id", &self.shared.session_id)
            .field("purpose", &self.purpose)
            .field("phase", &self.phase())
            .finish_non_exhaustive()
    }
}

//! `Client`, `Session`, `Credential`, `OneTimeCode` and `TfaCode`: a thin wrap of the
//! core's blocking vault client (`sealvault::client::blocking`). Every
//! network call runs with the GIL released; JSON answers come back as
//! plain `dict`/`list`; secrets (tokens, passwords, codes) as `SecretStr`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use sealvault::client::{self as sv_client, blocking};
use sealvault::wire::{CreateToken, LeasePhase, PutCredential, Scope};
use zeroize::Zeroizing;

use crate::buffer::Bytes;
use crate::error::Result;
use crate::json::{from_json, to_json};
use crate::keys::DataKey;
use crate::secret::{SecretStr, extract_secret};

/// A wire value (any `Serialize`) as Python, through `serde_json::Value`.
macro_rules! to_py {
    ($py:expr, $value:expr) => {
        serde_json::to_value($value)
            .map_err(|e| sealvault::client::ClientError::Protocol(e.to_string()))
            .map_err(crate::error::Error::from)
            .and_then(|value| Ok(from_json($py, &value)?))
    };
}

/// Seconds (a float) as a `Duration`.
fn seconds(secs: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        PyValueError::new_err(format!("{what} must be a non-negative number of seconds"))
    })
}

/// A client of one vault for one bearer token (sync; every network call
/// releases the GIL). Cheap to share between threads.
#[pyclass(module = "sealvault._native", frozen)]
pub struct Client {
    inner: blocking::Client,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (base_url, token, *, timeout=30.0, ca_pem=None, user_agent=None, max_retries=3))]
    fn py_new(
        base_url: &str,
        token: &Bound<'_, PyAny>,
        timeout: f64,
        ca_pem: Option<&Bound<'_, PyAny>>,
        user_agent: Option<&str>,
        max_retries: u32,
    ) -> Result<Self> {
        let token = extract_secret(token, "token")?;
        let mut builder = sv_client::Client::builder(base_url, &token)
            .timeout(seconds(timeout, "timeout")?)
            .max_retries(max_retries)
            .user_agent(user_agent.map_or_else(
                || concat!("sealvault-python/", env!("CARGO_PKG_VERSION")).to_owned(),
                str::to_owned,
            ));
        if let Some(pem) = ca_pem {
            builder = match pem.cast::<PyString>() {
                Ok(text) => builder.add_root_certificate_pem(text.to_str()?.as_bytes()),
                Err(_) => {
                    builder.add_root_certificate_pem(Bytes::extract(pem, "ca_pem")?.as_slice())
                }
            };
        }
        Ok(Self {
            inner: blocking::Client::from_builder(builder)?,
        })
    }

    /// The vault's base URL.
    #[getter]
    fn base_url(&self) -> &str {
        self.inner.as_async().base_url()
    }

    fn __repr__(&self) -> String {
        format!("Client(base_url='{}', token=[redacted])", self.base_url())
    }

    /// `GET /healthz`.
    fn healthz<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.healthz())?;
        Ok(from_json(py, &answer)?)
    }

    /// `GET /metrics`: Prometheus text.
    fn metrics(&self, py: Python<'_>) -> Result<String> {
        Ok(py.detach(|| self.inner.metrics())?)
    }

    /// `GET /openapi.json`.
    fn openapi<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.openapi())?;
        Ok(from_json(py, &answer)?)
    }

    /// `GET /v1/meta`: version and limits.
    fn meta<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.meta())?;
        to_py!(py, &answer)
    }

    /// `GET /v1/me`: the token's user, scopes and items.
    fn me<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.me())?;
        to_py!(py, &answer)
    }

    /// The token's user id (`GET /v1/me`, once).
    fn user_id(&self, py: Python<'_>) -> Result<String> {
        Ok(py.detach(|| self.inner.user_id())?.to_string())
    }

    /// The user's current data key (`GET /v1/keys/current`, cached).
    fn data_key(&self, py: Python<'_>) -> Result<DataKey> {
        let inner = py.detach(|| self.inner.data_key())?;
        Ok(DataKey { inner })
    }

    /// Drops the cached data key.
    fn forget_data_key(&self) {
        self.inner.forget_data_key();
    }

    /// `POST /v1/users` (admin).
    fn create_user<'py>(&self, py: Python<'py>, name: &str) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.create_user(name))?;
        to_py!(py, &answer)
    }

    /// `POST /v1/users/{user_id}/tokens` (admin). The answer's `token` is a
    /// `SecretStr`, shown this once.
    #[pyo3(signature = (user_id, name, scopes, items=None, ttl_secs=None))]
    fn create_token<'py>(
        &self,
        py: Python<'py>,
        user_id: &str,
        name: &str,
        scopes: Vec<String>,
        items: Option<Vec<String>>,
        ttl_secs: Option<u64>,
    ) -> Result<Bound<'py, PyAny>> {
        let scopes = scopes
            .into_iter()
            .map(|s| {
                serde_json::from_value::<Scope>(serde_json::Value::String(s.clone()))
                    .map_err(|_| sealvault::Error::InvalidRequest(format!("unknown scope {s:?}")))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let request = CreateToken {
            name: name.to_owned(),
            scopes,
            items,
            ttl_secs,
        };
        let mut created = py.detach(|| self.inner.create_token(user_id, &request))?;
        let secret = SecretStr::new(created.token.expose_secret());
        // Blank the secret before the rest goes through a JSON value.
        drop(std::mem::take(&mut created.token));
        let answer = to_py!(py, &created)?;
        answer.set_item("token", Bound::new(py, secret)?)?;
        Ok(answer)
    }

    /// `GET /v1/users/{user_id}/tokens` (admin): never the secrets.
    fn list_tokens<'py>(&self, py: Python<'py>, user_id: &str) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.list_tokens(user_id))?;
        to_py!(py, &answer)
    }

    /// `DELETE /v1/users/{user_id}/tokens/{token_id}` (admin).
    fn revoke_token(&self, py: Python<'_>, user_id: &str, token_id: &str) -> Result<()> {
        Ok(py.detach(|| self.inner.revoke_token(user_id, token_id))?)
    }

    /// `POST /v1/keys`: the user's first data key.
    fn create_data_key(&self, py: Python<'_>) -> Result<DataKey> {
        let key = py.detach(|| self.inner.create_data_key())?;
        Ok(DataKey { inner: key.into() })
    }

    /// `GET /v1/keys/current`, uncached.
    fn current_data_key(&self, py: Python<'_>) -> Result<DataKey> {
        let key = py.detach(|| self.inner.current_data_key())?;
        Ok(DataKey { inner: key.into() })
    }

    /// `POST /v1/keys/rotate`: `{"key_id", "reencrypted"}`.
    fn rotate_data_key<'py>(
        &self,
        py: Python<'py>,
        expected_key_id: &str,
    ) -> Result<Bound<'py, PyAny>> {
        let expected = sealvault::KeyId::from_hex(expected_key_id)?;
        let answer = py.detach(|| self.inner.rotate_data_key(expected))?;
        to_py!(py, &answer)
    }

    /// Seals and creates credential `id` (continuing a tombstone's version);
    /// `version_conflict` if it exists.
    #[pyo3(signature = (id, *, username, password, config, fields=None, totp=None))]
    #[allow(clippy::too_many_arguments)]
    fn put_credential<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        username: &str,
        password: &Bound<'py, PyAny>,
        config: &Bound<'py, PyAny>,
        fields: Option<&Bound<'py, PyDict>>,
        totp: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyAny>> {
        let credential = credential(username, password, fields)?;
        let totp = TotpArg::extract(totp)?;
        let totp = totp.get();
        let config = to_json(config)?;
        let answer = py.detach(|| self.inner.put_credential(id, &credential, totp, &config))?;
        to_py!(py, &answer)
    }

    /// Seals and replaces credential `id` at `expected_version`, as a whole.
    #[pyo3(signature = (id, expected_version, *, username, password, config, fields=None, totp=None))]
    #[allow(clippy::too_many_arguments)]
    fn replace_credential<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        expected_version: u64,
        username: &str,
        password: &Bound<'py, PyAny>,
        config: &Bound<'py, PyAny>,
        fields: Option<&Bound<'py, PyDict>>,
        totp: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyAny>> {
        let credential = credential(username, password, fields)?;
        let totp = TotpArg::extract(totp)?;
        let totp = totp.get();
        let config = to_json(config)?;
        let answer = py.detach(|| {
            self.inner
                .replace_credential(id, expected_version, &credential, totp, &config)
        })?;
        to_py!(py, &answer)
    }

    /// `PUT /v1/credentials/{id}` with envelopes sealed by the caller
    /// (`sv.seal_item`).
    #[pyo3(signature = (id, *, envelope, config, expected_version, totp_envelope=None))]
    fn put_credential_envelopes<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        envelope: &Bound<'py, PyAny>,
        config: &Bound<'py, PyAny>,
        expected_version: u64,
        totp_envelope: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyAny>> {
        let body = PutCredential {
            envelope: Bytes::extract(envelope, "envelope")?.as_slice().to_vec(),
            totp_envelope: match totp_envelope.filter(|t| !t.is_none()) {
                Some(t) => Some(Bytes::extract(t, "totp_envelope")?.as_slice().to_vec()),
                None => None,
            },
            config: to_json(config)?,
            expected_version,
        };
        let answer = py.detach(|| self.inner.put_credential_envelopes(id, &body))?;
        to_py!(py, &answer)
    }

    /// `GET /v1/credentials`: the items this token may see.
    fn list_credentials<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.list_credentials())?;
        to_py!(py, &answer)
    }

    /// `GET /v1/credentials/{id}`: the item, with `envelope` and
    /// `totp_envelope` as `bytes` (`None` when no seed).
    fn get_credential<'py>(&self, py: Python<'py>, id: &str) -> Result<Bound<'py, PyAny>> {
        let detail = py.detach(|| self.inner.get_credential(id))?;
        let answer = to_py!(py, &detail.summary)?;
        answer.set_item("envelope", PyBytes::new(py, &detail.envelope))?;
        let totp = detail.totp_envelope.as_deref().map(|t| PyBytes::new(py, t));
        answer.set_item("totp_envelope", totp)?;
        Ok(answer)
    }

    /// `DELETE /v1/credentials/{id}?expected_version=`: leaves a tombstone.
    fn delete_credential(&self, py: Python<'_>, id: &str, expected_version: u64) -> Result<()> {
        Ok(py.detach(|| self.inner.delete_credential(id, expected_version))?)
    }

    /// `GET /v1/audit`: `{"items": [...]}`.
    fn audit<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let answer = py.detach(|| self.inner.audit())?;
        to_py!(py, &answer)
    }

    /// Takes a lease on credential `id` (`purpose` "login" or "use"),
    /// waiting up to `wait` seconds for a slot; heartbeats in the
    /// background; use it as a context manager to release it.
    #[pyo3(signature = (id, purpose="login", wait=30.0, ttl=None, *, heartbeat=true))]
    fn session(
        &self,
        py: Python<'_>,
        id: &str,
        purpose: &str,
        wait: f64,
        ttl: Option<f64>,
        heartbeat: bool,
    ) -> Result<Session> {
        let purpose = match purpose {
            "login" => sv_client::Purpose::Login,
            "use" => sv_client::Purpose::Use,
            other => {
                return Err(sealvault::Error::InvalidRequest(format!(
                    "purpose must be \"login\" or \"use\", not {other:?}"
                ))
                .into());
            }
        };
        let mut options = sv_client::SessionOptions::new(purpose);
        options.wait = seconds(wait, "wait")?;
        options.ttl = ttl.map(|t| seconds(t, "ttl")).transpose()?;
        options.heartbeat = heartbeat;
        let session = py.detach(|| self.inner.session_with(id, options))?;
        Ok(Session {
            item: session.item().to_owned(),
            session_id: session.session_id().to_owned(),
            fencing_token: session.fencing_token(),
            purpose: match purpose {
                sv_client::Purpose::Login => "login",
                sv_client::Purpose::Use => "use",
            },
            inner: Mutex::new(Some(Arc::new(session))),
        })
    }
}

/// A credential from Python arguments.
fn credential(
    username: &str,
    password: &Bound<'_, PyAny>,
    fields: Option<&Bound<'_, PyDict>>,
) -> PyResult<sv_client::Credential> {
    let password = extract_secret(password, "password")?;
    let mut credential = sv_client::Credential::new(username, password.as_str());
    for (name, value) in fields.into_iter().flat_map(|f| f.iter()) {
        let name = name
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("field names must be str"))?
            .to_str()?
            .to_owned();
        let value = extract_secret(&value, "field values")?;
        credential = credential.with_field(name, value.as_str());
    }
    Ok(credential)
}

/// `{"url": str|SecretStr, "ip": str|None}` as a workflow proxy.
fn workflow_proxy_arg(dict: &Bound<'_, PyDict>) -> PyResult<sealvault::wire::WorkflowProxy> {
    let url = dict
        .get_item("url")?
        .ok_or_else(|| PyTypeError::new_err("workflow_proxy needs a \"url\""))?;
    let ip = match dict.get_item("ip")? {
        Some(ip) if !ip.is_none() => Some(ip.extract::<String>()?),
        _ => None,
    };
    Ok(sealvault::wire::WorkflowProxy {
        url: sealvault::wire::SecretString::new(extract_secret(&url, "url")?.to_string()),
        ip,
    })
}

/// A `Totp`, an `otpauth://` URI, or nothing.
enum TotpArg<'py> {
    None,
    Py(Bound<'py, crate::totp::Totp>),
    Parsed(Box<sealvault::Totp>),
}

impl<'py> TotpArg<'py> {
    fn extract(obj: Option<&Bound<'py, PyAny>>) -> Result<Self> {
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(TotpArg::None);
        };
        if let Ok(totp) = obj.cast::<crate::totp::Totp>() {
            return Ok(TotpArg::Py(totp.clone()));
        }
        if let Ok(uri) = obj.cast::<PyString>() {
            let uri = Zeroizing::new(uri.to_str()?.to_owned());
            return Ok(TotpArg::Parsed(Box::new(sealvault::Totp::from_uri(&uri)?)));
        }
        Err(PyTypeError::new_err("totp must be a Totp, an otpauth:// URI or None").into())
    }

    fn get(&self) -> Option<&sealvault::Totp> {
        match self {
            TotpArg::None => None,
            TotpArg::Py(totp) => Some(&totp.get().inner),
            TotpArg::Parsed(totp) => Some(totp),
        }
    }
}

/// A held lease. `with client.session("acme") as s:` releases it at the end
/// of the block, also when the block raises; a heartbeat runs in the
/// background meanwhile.
#[pyclass(module = "sealvault._native", frozen)]
pub struct Session {
    inner: Mutex<Option<Arc<blocking::Session>>>,
    item: String,
    session_id: String,
    fencing_token: u64,
    purpose: &'static str,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, Option<Arc<blocking::Session>>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn live(&self) -> PyResult<Arc<blocking::Session>> {
        self.lock()
            .clone()
            .ok_or_else(|| PyValueError::new_err("the session is released"))
    }

    /// Releases the lease (in-flight calls on other threads finish first:
    /// the last of them releases it).
    fn release_now(&self, py: Python<'_>) -> Result<()> {
        let Some(session) = self.lock().take() else {
            return Ok(());
        };
        match Arc::try_unwrap(session) {
            Ok(session) => Ok(py.detach(|| session.release())?),
            Err(shared) => {
                drop(shared);
                Ok(())
            }
        }
    }
}

#[pymethods]
impl Session {
    /// The credential this lease is on.
    #[getter]
    fn item(&self) -> &str {
        &self.item
    }

    /// The session (lease) id.
    #[getter]
    fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The fencing token (sent on session-state writes).
    #[getter]
    fn fencing_token(&self) -> u64 {
        self.fencing_token
    }

    /// "login" or "use".
    #[getter]
    fn purpose(&self) -> &'static str {
        self.purpose
    }

    /// Whether the lease has been released.
    #[getter]
    fn released(&self) -> bool {
        self.lock().is_none()
    }

    /// "login" until `login_complete()`, then "active".
    #[getter]
    fn phase(&self) -> PyResult<&'static str> {
        Ok(match self.live()?.phase() {
            LeasePhase::Login => "login",
            LeasePhase::Active => "active",
        })
    }

    /// When the lease ends without another heartbeat (unix seconds).
    #[getter]
    fn expires_at(&self) -> PyResult<i64> {
        Ok(self.live()?.expires_at())
    }

    /// The credential's current state key (kind `session-state` envelopes).
    #[getter]
    fn state_key(&self) -> PyResult<DataKey> {
        Ok(DataKey {
            inner: self.live()?.state_key(),
        })
    }

    /// Why the background heartbeat stopped, if the lease was lost.
    #[getter]
    fn lost(&self) -> PyResult<Option<String>> {
        Ok(self.live()?.lost())
    }

    /// The credential, opened here with the one-envelope key the vault
    /// released, after checking its context. Login phase only.
    fn access(&self, py: Python<'_>) -> Result<Credential> {
        let session = self.live()?;
        let mut credential = py.detach(|| session.access())?;
        let password = SecretStr::new(credential.password.expose_secret());
        drop(std::mem::take(&mut credential.password));
        let fields = PyDict::new(py);
        for (name, value) in std::mem::take(&mut credential.fields) {
            fields.set_item(name, Bound::new(py, SecretStr::new(value.expose_secret()))?)?;
        }
        Ok(Credential {
            core: credential,
            password: Py::new(py, password)?,
            fields: fields.unbind(),
        })
    }

    /// The vault's TOTP code with at least `min_validity` seconds left.
    /// Login phase only.
    #[pyo3(signature = (min_validity=0))]
    fn totp(&self, py: Python<'_>, min_validity: u64) -> Result<OneTimeCode> {
        let session = self.live()?;
        let code = py.detach(|| session.totp(min_validity))?;
        Ok(OneTimeCode {
            code: Py::new(py, SecretStr::new(code.code.expose_secret()))?,
            seconds_left: code.seconds_left,
        })
    }

    /// Waits up to `timeout` seconds for the email or SMS code the vault
    /// receives for this credential (received at or after `since`, unix
    /// seconds; default: the lease's grant). `None` when none came; each
    /// code is handed out once. Login phase only.
    #[pyo3(signature = (timeout=60.0, since=None))]
    fn wait_for_tfa_code(
        &self,
        py: Python<'_>,
        timeout: f64,
        since: Option<i64>,
    ) -> Result<Option<TfaCode>> {
        let session = self.live()?;
        let timeout = seconds(timeout, "timeout")?;
        let answer = py.detach(|| match since {
            Some(since) => session.wait_for_tfa_code_since(timeout, since),
            None => session.wait_for_tfa_code(timeout),
        })?;
        let Some(answer) = answer else {
            return Ok(None);
        };
        let secret = |s: Option<sealvault::wire::SecretString>| {
            s.map(|s| Py::new(py, SecretStr::new(s.expose_secret())))
                .transpose()
        };
        Ok(Some(TfaCode {
            code: secret(answer.code)?,
            link: secret(answer.link)?,
            channel: match answer.channel {
                sv_client::TfaChannel::Email => "email",
                sv_client::TfaChannel::Sms => "sms",
            },
            received_at: answer.received_at,
        }))
    }

    /// `text` with every secret this session handed out (password and
    /// fields of `access()`, codes of `totp()` and `wait_for_tfa_code()`,
    /// magic links) replaced by `[REDACTED]`: for agent logs and text sent
    /// to a language model. The values are wiped when the session ends.
    fn redact(&self, text: &str) -> PyResult<String> {
        Ok(self.live()?.redact(text))
    }

    /// Ends the login phase.
    fn login_complete(&self, py: Python<'_>) -> Result<()> {
        let session = self.live()?;
        Ok(py.detach(|| session.login_complete())?)
    }

    /// The credential's config as the lease grant carried it.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(from_json(py, self.live()?.config())?)
    }

    /// Seals and stores a browser state (Playwright's `storage_state()`
    /// dict plus `sessionStorage` per origin), keeping only what the
    /// credential's persistence flags allow. Returns `{"version", "key_id",
    /// "created_at", "last_used_at"}`.
    fn save_state<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyAny>> {
        let session = self.live()?;
        let state = sealvault::BrowserState::from_value(to_json(state)?)?;
        let answer = py.detach(|| session.save_state(&state))?;
        to_py!(py, &answer)
    }

    /// The stored browser state as a dict, or `None` when absent or expired.
    fn load_state<'py>(&self, py: Python<'py>) -> Result<Option<Bound<'py, PyAny>>> {
        let session = self.live()?;
        let Some(state) = py.detach(|| session.load_state())? else {
            return Ok(None);
        };
        let mut value = state.to_value()?;
        let out = from_json(py, &value);
        sealvault::browser_state::wipe_json(&mut value);
        Ok(Some(out?))
    }

    /// Deletes the stored browser state.
    fn delete_state(&self, py: Python<'_>) -> Result<()> {
        let session = self.live()?;
        Ok(py.detach(|| session.delete_state())?)
    }

    /// The proxy to use: `{"source": "credential"|"workflow"|"none",
    /// "proxy": {"id", "url": SecretStr, "ip"} | None}`. `workflow_proxy`
    /// is `{"url": str|SecretStr, "ip": str|None}` or `None`.
    #[pyo3(signature = (workflow_proxy=None))]
    fn resolve_proxy<'py>(
        &self,
        py: Python<'py>,
        workflow_proxy: Option<&Bound<'py, PyDict>>,
    ) -> Result<Bound<'py, PyAny>> {
        let session = self.live()?;
        let workflow = workflow_proxy.map(workflow_proxy_arg).transpose()?;
        let mut answer = py.detach(|| session.resolve_proxy(workflow))?;
        let choice = answer.proxy.take();
        let out = to_py!(py, &answer)?;
        if let Some(choice) = choice {
            let proxy = PyDict::new(py);
            proxy.set_item("id", &choice.id)?;
            proxy.set_item(
                "url",
                Bound::new(py, SecretStr::new(choice.url.expose_secret()))?,
            )?;
            proxy.set_item("ip", &choice.ip)?;
            out.set_item("proxy", proxy)?;
        }
        Ok(out)
    }

    /// Renews the lease now (the background heartbeat does this on its own).
    fn heartbeat(&self, py: Python<'_>) -> Result<()> {
        let session = self.live()?;
        Ok(py.detach(|| session.heartbeat())?)
    }

    /// Releases the lease now; later calls raise `ValueError`. Idempotent.
    fn release(&self, py: Python<'_>) -> Result<()> {
        self.release_now(py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Releases the lease. A release failure is raised only when the block
    /// itself did not raise (its exception is never masked).
    #[pyo3(signature = (exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> Result<bool> {
        let released = self.release_now(py);
        if exc_type.is_none_or(|t| t.is_none()) {
            released?;
        }
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "Session(item='{}', session_id='{}', purpose='{}', released={})",
            self.item,
            self.session_id,
            self.purpose,
            if self.released() { "True" } else { "False" }
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Not released with `with` or release(): release now, without the GIL.
        if let Some(session) = self.lock().take() {
            Python::attach(|py| py.detach(|| drop(session)));
        }
    }
}

/// An opened credential: `username`, `password` (`SecretStr`), `fields`
/// (`dict` of `SecretStr`). Its secrets are wiped on `close()`, at the end
/// of a `with` block, or when garbage-collected.
#[pyclass(module = "sealvault._native", frozen)]
pub struct Credential {
    /// Username and login URL (password and fields moved out below).
    core: sv_client::Credential,
    password: Py<SecretStr>,
    fields: Py<PyDict>,
}

#[pymethods]
impl Credential {
    /// The login name (not treated as secret).
    #[getter]
    fn username(&self) -> &str {
        &self.core.username
    }

    /// The password.
    #[getter]
    fn password(&self, py: Python<'_>) -> Py<SecretStr> {
        self.password.clone_ref(py)
    }

    /// The other secret fields, by name (a new `dict` each time).
    #[getter]
    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.fields.bind(py).copy()
    }

    /// The config's `login_url`.
    #[getter]
    fn login_url(&self) -> Option<&str> {
        self.core.login_url()
    }

    /// Raises `InvalidRequestError` unless `page_url` has the origin
    /// (scheme, host, port) of the config's `login_url`.
    fn check_origin(&self, page_url: &str) -> Result<()> {
        Ok(self.core.check_origin(page_url)?)
    }

    /// Wipes the password and fields now.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.password.get().wipe();
        for (_, value) in self.fields.bind(py).iter() {
            value.cast::<SecretStr>()?.get().wipe();
        }
        Ok(())
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names = self.fields.bind(py).keys().repr()?;
        let username = PyString::new(py, &self.core.username).repr()?;
        Ok(format!(
            "Credential(username={username}, password=[redacted], fields={names})"
        ))
    }
}

/// A one-time code the vault computed: `code` (`SecretStr`) and
/// `seconds_left`.
#[pyclass(module = "sealvault._native", frozen)]
pub struct OneTimeCode {
    code: Py<SecretStr>,
    seconds_left: u64,
}

#[pymethods]
impl OneTimeCode {
    /// The code.
    #[getter]
    fn code(&self, py: Python<'_>) -> Py<SecretStr> {
        self.code.clone_ref(py)
    }

    /// Seconds of validity left when the vault answered.
    #[getter]
    fn seconds_left(&self) -> u64 {
        self.seconds_left
    }

    fn __repr__(&self) -> String {
        format!(
            "OneTimeCode(code=[redacted], seconds_left={})",
            self.seconds_left
        )
    }
}

/// A code (or magic link) the vault received by email or SMS: `code` and
/// `link` (`SecretStr` or `None`), `channel` (`"email"` or `"sms"`) and
/// `received_at` (unix seconds).
#[pyclass(module = "sealvault._native", frozen)]
pub struct TfaCode {
    code: Option<Py<SecretStr>>,
    link: Option<Py<SecretStr>>,
    channel: &'static str,
    received_at: i64,
}

#[pymethods]
impl TfaCode {
    /// The code, if the message had one.
    #[getter]
    fn code(&self, py: Python<'_>) -> Option<Py<SecretStr>> {
        self.code.as_ref().map(|c| c.clone_ref(py))
    }

    /// A magic link on the credential's `login_url` site, if the message had one.
    #[getter]
    fn link(&self, py: Python<'_>) -> Option<Py<SecretStr>> {
        self.link.as_ref().map(|l| l.clone_ref(py))
    }

    /// `"email"` or `"sms"`.
    #[getter]
    fn channel(&self) -> &'static str {
        self.channel
    }

    /// When the vault received it (unix seconds).
    #[getter]
    fn received_at(&self) -> i64 {
        self.received_at
    }

    fn __repr__(&self) -> String {
        let shown = |present: bool| if present { "[redacted]" } else { "None" };
        format!(
            "TfaCode(code={}, link={}, channel='{}', received_at={})",
            shown(self.code.is_some()),
            shown(self.link.is_some()),
            self.channel,
            self.received_at
        )
    }
}

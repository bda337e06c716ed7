//! `Client`, `Session`, `Credential` and `SecretText`: async wrappers of
//! `sealvault::client` (feature `client`, reqwest over `fetch`). Every
//! route, the sealing, the retry policy and the lease guard live in the
//! core; this file converts arguments, answers and errors only.
//!
//! Methods return promises (`wasm_bindgen_futures::future_to_promise`)
//! over a clone of the core client (an `Arc`), so no JS object is borrowed
//! across an `await`. Answers are the API's JSON (DESIGN §9 shapes, wire
//! keys) parsed into plain objects; envelopes become `Uint8Array`.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use sealvault::client::{self as sdk, ClientError, SessionOptions};
use sealvault::wire::{CreateToken, LeasePurpose, SecretString, WorkflowProxy};
use sealvault::{KeyId, Totp};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use zeroize::Zeroizing;

use crate::convert::{get, get_string, integer, opt_integer, set, to_json};
use crate::error::{Result, client_to_js, invalid, to_js};
use crate::keys::JsDataKey;
use crate::totp::JsTotp;

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT_TYPES: &'static str = r#"
/** Options of `new Client(baseUrl, token, options)`. */
export interface ClientOptions {
  /** Retries of a call the policy allows to retry (reads, compare-and-set writes; default 3). */
  maxRetries?: number;
}
/** A token scope (DESIGN §8). */
export type Scope = "admin" | "keys:use" | "keys:rotate" | "secrets:write" | "secrets:access" | "sessions";
/** `GET /v1/meta`. */
export interface Meta {
  version: string;
  limits: {
    credential_body_bytes: number; session_state_body_bytes: number; items_per_user: number;
    failed_auth_per_minute: number; access_per_minute: number; totp_per_minute: number;
    max_lease_ttl_secs: number; max_wait_secs: number; [key: string]: number;
  };
}
/** `GET /v1/me`. */
export interface Me { user_id: string | null; token_id: string | null; scopes: Scope[]; items: string[] | null; expires_at: number | null; }
/** `POST /v1/users`. */
export interface User { id: string; name: string; }
/** Arguments of `createToken`. */
export interface CreateTokenOptions { name: string; scopes: Scope[]; items?: string[] | null; ttlSecs?: number | null; }
/** `POST /v1/users/{user_id}/tokens`: the secret `token`, shown once. */
export interface TokenCreated { id: string; token: string; scopes: Scope[]; items: string[] | null; expires_at: number; }
/** One token of `listTokens` (never the secret). */
export interface TokenInfo { id: string; name: string; scopes: Scope[]; items: string[] | null; created_at: number; expires_at: number; revoked_at: number | null; }
/** `POST /v1/keys/rotate`. */
export interface Rotated { key_id: string; reencrypted: number; }
/** Vault-assigned inbound address and number of a credential. */
export interface Assigned { email?: string | null; phone?: string | null; }
/** `PUT /v1/credentials/{id}`. */
export interface CredentialWritten { id: string; version: number; key_id: string; assigned: Assigned; created_at: number; updated_at: number; }
/** One item of `listCredentials`. */
export interface CredentialSummary { id: string; version: number; key_id: string; config: CredentialConfig; assigned: Assigned; created_at: number; updated_at: number; }
/** `GET /v1/credentials/{id}`: the item and its envelopes. */
export interface CredentialDetail extends CredentialSummary { envelope: Uint8Array; totp_envelope: Uint8Array | null; }
/** A credential config (DESIGN §7); sent and returned exactly as written. */
export interface CredentialConfig { name: string; login_url?: string; [section: string]: unknown; }
/** What `putCredential` seals: JSON `{"username","password","fields"}`. */
export interface CredentialInput { username: string; password: string; fields?: Record<string, string>; }
/** One audit record. */
export interface AuditRecord { seq: number; at: number; action: string; user_id: string | null; token_id: string | null; item_id: string | null; detail: unknown; }
/** `GET /v1/audit`. */
export interface AuditList { items: AuditRecord[]; }
/** Options of `client.session(id, options)`. */
export interface SessionOptions {
  /** "login" (may access the credential; default) or "use" (state only). */
  purpose?: "login" | "use";
  /** How long the vault may hold the request for a free slot (default 30). */
  waitSecs?: number;
  /** Lease lifetime without heartbeat (default: the vault's, 60 s). */
  ttlSecs?: number | null;
  /** Heartbeat in the background at a third of the TTL (default true; an unref'd timer in Node). */
  heartbeat?: boolean;
}
/** A cookie of a browser state (Playwright's shape); unknown fields are kept. */
export interface StateCookie {
  name: string; value: string; domain: string; path: string;
  /** Unix seconds; -1 for a session cookie. */
  expires: number; httpOnly: boolean; secure: boolean; sameSite: "Strict" | "Lax" | "None";
  [field: string]: unknown;
}
/** A storage entry. */
export interface StorageEntry { name: string; value: string; }
/** One origin's storage: localStorage and (SealVault's addition) sessionStorage. */
export interface OriginState { origin: string; localStorage: StorageEntry[]; sessionStorage?: StorageEntry[]; [field: string]: unknown; }
/** Playwright's storageState plus sessionStorage per origin (docs/FORMAT.md §11). */
export interface BrowserState { cookies: StateCookie[]; origins: OriginState[]; [field: string]: unknown; }
/** `saveState`'s answer. */
export interface SessionStateWritten { version: number; key_id: string; created_at: number; last_used_at: number; }
/** A workflow-level proxy passed to `resolveProxy`. */
export interface WorkflowProxy { url: string; ip?: string | null; }
/** The proxy `resolveProxy` chose: `url` (which may hold credentials) is a SecretText. */
export interface ProxyChoice { id: string | null; url: SecretText; ip: string | null; }
/** `POST /v1/credentials/{id}/proxy`. */
export interface ProxyAnswer { source: "credential" | "workflow" | "none"; proxy: ProxyChoice | null; }
/** A server-side TOTP code: `code` is a SecretText (`code.expose()`). */
export interface OneTimeCode { code: SecretText; secondsLeft: number; }
/** `waitForTfaCode` options: wait up to `timeoutSecs` (default 60) for a code received at or after `since` (unix seconds; default the lease's grant). */
export interface TfaWaitOptions { timeoutSecs?: number; since?: number; }
/** An email or SMS code (or magic link) the vault received, handed out once; `code` and `link` are SecretTexts. */
export interface TfaCode { code: SecretText | null; link: SecretText | null; channel: "email" | "sms"; receivedAt: number; }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "ClientOptions")]
    pub type ClientOptionsArg;
    #[wasm_bindgen(typescript_type = "CreateTokenOptions")]
    pub type CreateTokenArg;
    #[wasm_bindgen(typescript_type = "CredentialInput")]
    pub type CredentialArg;
    #[wasm_bindgen(typescript_type = "Totp | string | null | undefined")]
    pub type TotpArg;
    #[wasm_bindgen(typescript_type = "CredentialConfig")]
    pub type ConfigArg;
    #[wasm_bindgen(typescript_type = "SessionOptions")]
    pub type SessionOptionsArg;
    #[wasm_bindgen(typescript_type = "BrowserState")]
    pub type BrowserStateArg;
    #[wasm_bindgen(typescript_type = "WorkflowProxy | null | undefined")]
    pub type WorkflowProxyArg;
    #[wasm_bindgen(typescript_type = "TfaWaitOptions | undefined")]
    pub type TfaWaitOptionsArg;
}

/// A promise of `future`, whose error is already a `SealVaultError`.
fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue>> + 'static,
{
    future_to_promise(future)
}

/// A serializable answer as a plain JS object (via JSON, in a wiping buffer).
fn json<T: Serialize>(value: &T) -> Result<JsValue> {
    let text = serde_json::to_string(value)
        .map(Zeroizing::new)
        .map_err(|_| invalid("answer does not serialize"))?;
    js_sys::JSON::parse(&text)
}

fn api<T>(result: std::result::Result<T, ClientError>) -> Result<T> {
    result.map_err(client_to_js)
}

fn nonneg(value: f64, what: &str) -> Result<u64> {
    Ok(integer(value, what, false)? as u64)
}

/// The credential of `putCredential`: `{username, password, fields?}`.
fn credential(value: &JsValue) -> Result<sdk::Credential> {
    if !value.is_object() {
        return Err(invalid("credential must be {username, password, fields?}"));
    }
    let username = get_string(value, "username")?;
    let password = Zeroizing::new(get_string(value, "password")?);
    let mut out = sdk::Credential::new(username, password.as_str());
    if let Some(fields) = get(value, "fields")? {
        if !fields.is_object() {
            return Err(invalid("fields must be an object of strings"));
        }
        for entry in Object::entries(fields.unchecked_ref()).iter() {
            let pair: js_sys::Array = entry.unchecked_into();
            let name = pair.get(0).as_string().unwrap_or_default();
            let text = Zeroizing::new(
                pair.get(1)
                    .as_string()
                    .ok_or_else(|| invalid("fields values must be strings"))?,
            );
            out = out.with_field(name, text.as_str());
        }
    }
    Ok(out)
}

/// `Totp | otpauth string | null`: a `Totp` object is copied inside wasm
/// (its secret never becomes a JS string); the caller's object stays usable.
fn totp(value: &JsValue) -> Result<Option<Totp>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(uri) = value.as_string() {
        let uri = Zeroizing::new(uri);
        return Ok(Some(crate::error::core(Totp::from_uri(&uri))?));
    }
    let copy = Reflect::get(value, &JsValue::from_str("__sealvaultCopy"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(value).ok())
        .and_then(|c| JsTotp::try_from_js_value(c).ok())
        .ok_or_else(|| invalid("totp must be a Totp, an otpauth:// URI or null"))?;
    Ok(Some(copy.into_inner()))
}

/// A vault client for one base URL and bearer token (`fetch` underneath).
/// Every method returns a promise; failures reject with `SealVaultError`.
#[wasm_bindgen(js_name = Client)]
pub struct JsClient {
    inner: sdk::Client,
}

#[wasm_bindgen(js_class = Client)]
impl JsClient {
    /// A client of the vault at `baseUrl` (http or https) with bearer `token`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = baseUrl)] base_url: &str,
        token: &str,
        options: Option<ClientOptionsArg>,
    ) -> Result<JsClient> {
        let mut builder = sdk::Client::builder(base_url, token);
        if let Some(options) = options {
            let options: &JsValue = options.as_ref();
            if let Some(retries) = opt_integer(options, "maxRetries", false)? {
                let retries =
                    u32::try_from(retries).map_err(|_| invalid("maxRetries too large"))?;
                builder = builder.max_retries(retries);
            }
        }
        Ok(JsClient {
            inner: api(builder.build())?,
        })
    }

    /// The vault's base URL.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// `Client(<base URL>)`: never the token.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("Client({}, [redacted])", self.inner.base_url())
    }

    /// `GET /healthz`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Record<string, unknown>>")]
    pub fn healthz(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.healthz().await)?) })
    }

    /// `GET /metrics`: Prometheus text.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn metrics(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { Ok(JsValue::from_str(&api(c.metrics().await)?)) })
    }

    /// `GET /openapi.json`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Record<string, unknown>>")]
    pub fn openapi(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.openapi().await)?) })
    }

    /// `GET /v1/meta`: version and limits.
    #[wasm_bindgen(unchecked_return_type = "Promise<Meta>")]
    pub fn meta(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.meta().await)?) })
    }

    /// `GET /v1/me`: the token's user, scopes and items.
    #[wasm_bindgen(unchecked_return_type = "Promise<Me>")]
    pub fn me(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.me().await)?) })
    }

    /// The token's user id (`GET /v1/me`, once).
    #[wasm_bindgen(js_name = userId, unchecked_return_type = "Promise<string>")]
    pub fn user_id(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { Ok(JsValue::from_str(&api(c.user_id().await)?)) })
    }

    /// `POST /v1/users` (admin).
    #[wasm_bindgen(js_name = createUser, unchecked_return_type = "Promise<User>")]
    pub fn create_user(&self, name: String) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.create_user(&name).await)?) })
    }

    /// `POST /v1/users/{userId}/tokens` (admin): the answer holds the secret, once.
    #[wasm_bindgen(js_name = createToken, unchecked_return_type = "Promise<TokenCreated>")]
    pub fn create_token(
        &self,
        #[wasm_bindgen(js_name = userId)] user_id: String,
        options: CreateTokenArg,
    ) -> Promise {
        let c = self.inner.clone();
        let body = create_token_body(options.as_ref());
        promise(async move { json(&api(c.create_token(&user_id, &body?).await)?) })
    }

    /// `GET /v1/users/{userId}/tokens` (admin): never the secrets.
    #[wasm_bindgen(js_name = listTokens, unchecked_return_type = "Promise<TokenInfo[]>")]
    pub fn list_tokens(&self, #[wasm_bindgen(js_name = userId)] user_id: String) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.list_tokens(&user_id).await)?) })
    }

    /// `DELETE /v1/users/{userId}/tokens/{tokenId}` (admin).
    #[wasm_bindgen(js_name = revokeToken, unchecked_return_type = "Promise<void>")]
    pub fn revoke_token(
        &self,
        #[wasm_bindgen(js_name = userId)] user_id: String,
        #[wasm_bindgen(js_name = tokenId)] token_id: String,
    ) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            api(c.revoke_token(&user_id, &token_id).await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `POST /v1/keys` (keys:use): the user's first data key.
    #[wasm_bindgen(js_name = createDataKey, unchecked_return_type = "Promise<DataKey>")]
    pub fn create_data_key(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            let inner = api(c.create_data_key().await)?;
            Ok(JsDataKey { inner }.into())
        })
    }

    /// `GET /v1/keys/current` (keys:use), uncached.
    #[wasm_bindgen(js_name = currentDataKey, unchecked_return_type = "Promise<DataKey>")]
    pub fn current_data_key(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            let inner = api(c.current_data_key().await)?;
            Ok(JsDataKey { inner }.into())
        })
    }

    /// `POST /v1/keys/rotate` (keys:rotate) from the key id (hex) the
    /// caller believes current; every envelope of the user is re-sealed.
    #[wasm_bindgen(js_name = rotateDataKey, unchecked_return_type = "Promise<Rotated>")]
    pub fn rotate_data_key(
        &self,
        #[wasm_bindgen(js_name = expectedKeyId)] expected: String,
    ) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            let expected = crate::error::core(KeyId::from_hex(&expected))?;
            json(&api(c.rotate_data_key(expected).await)?)
        })
    }

    /// Creates credential `id`: seals it (and the TOTP seed) under the
    /// user's data key here, and stores it; continues a tombstone; fails
    /// with `version_conflict` (`.currentVersion`) if the item exists.
    #[wasm_bindgen(js_name = putCredential, unchecked_return_type = "Promise<CredentialWritten>")]
    pub fn put_credential(
        &self,
        id: String,
        credential: CredentialArg,
        totp: Option<TotpArg>,
        config: ConfigArg,
    ) -> Promise {
        let c = self.inner.clone();
        let args = write_args(
            credential.as_ref(),
            totp.as_ref().map(|t| t.as_ref()),
            config.as_ref(),
        );
        promise(async move {
            let (credential, totp, config) = args?;
            json(&api(c
                .put_credential(&id, &credential, totp.as_ref(), &config)
                .await)?)
        })
    }

    /// Replaces credential `id` at `expectedVersion` as a whole (without
    /// `totp` the item keeps no TOTP seed).
    #[wasm_bindgen(js_name = replaceCredential, unchecked_return_type = "Promise<CredentialWritten>")]
    pub fn replace_credential(
        &self,
        id: String,
        #[wasm_bindgen(js_name = expectedVersion)] expected_version: f64,
        credential: CredentialArg,
        totp: Option<TotpArg>,
        config: ConfigArg,
    ) -> Promise {
        let c = self.inner.clone();
        let args = write_args(
            credential.as_ref(),
            totp.as_ref().map(|t| t.as_ref()),
            config.as_ref(),
        );
        promise(async move {
            let expected = nonneg(expected_version, "expectedVersion")?;
            let (credential, totp, config) = args?;
            let written = c
                .replace_credential(&id, expected, &credential, totp.as_ref(), &config)
                .await;
            json(&api(written)?)
        })
    }

    /// `GET /v1/credentials`: the items this token may see.
    #[wasm_bindgen(js_name = listCredentials, unchecked_return_type = "Promise<CredentialSummary[]>")]
    pub fn list_credentials(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.list_credentials().await)?) })
    }

    /// `GET /v1/credentials/{id}` (secrets:write): the item, its envelopes as `Uint8Array`.
    #[wasm_bindgen(js_name = getCredential, unchecked_return_type = "Promise<CredentialDetail>")]
    pub fn get_credential(&self, id: String) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            let detail = api(c.get_credential(&id).await)?;
            let out = json(&detail)?;
            let out: &Object = out.unchecked_ref();
            set(
                out,
                "envelope",
                &Uint8Array::from(&detail.envelope[..]).into(),
            )?;
            let totp = match &detail.totp_envelope {
                Some(env) => Uint8Array::from(&env[..]).into(),
                None => JsValue::NULL,
            };
            set(out, "totp_envelope", &totp)?;
            Ok(out.into())
        })
    }

    /// `DELETE /v1/credentials/{id}?expected_version=`: leaves a tombstone.
    #[wasm_bindgen(js_name = deleteCredential, unchecked_return_type = "Promise<void>")]
    pub fn delete_credential(
        &self,
        id: String,
        #[wasm_bindgen(js_name = expectedVersion)] expected_version: f64,
    ) -> Promise {
        let c = self.inner.clone();
        promise(async move {
            let expected = nonneg(expected_version, "expectedVersion")?;
            api(c.delete_credential(&id, expected).await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `GET /v1/audit`: every record (admin) or the user's own.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuditList>")]
    pub fn audit(&self) -> Promise {
        let c = self.inner.clone();
        promise(async move { json(&api(c.audit().await)?) })
    }

    /// Drops the cached data key (refetched by the next write).
    #[wasm_bindgen(js_name = forgetDataKey)]
    pub fn forget_data_key(&self) {
        self.inner.forget_data_key();
    }

    /// Takes a lease on credential `id` (`POST /v1/credentials/{id}/sessions`):
    /// a `Session`, released by `release()`, `await using`, or `free()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Session>")]
    pub fn session(&self, id: String, options: Option<SessionOptionsArg>) -> Promise {
        let c = self.inner.clone();
        let options = session_options(options.as_ref().map(|o| o.as_ref()));
        promise(async move {
            let session = api(c.session_with(&id, options?).await)?;
            Ok(JsSession::new(session).into())
        })
    }
}

type WriteArgs = (sdk::Credential, Option<Totp>, serde_json::Value);

fn write_args(credential: &JsValue, totp: Option<&JsValue>, config: &JsValue) -> Result<WriteArgs> {
    Ok((
        self::credential(credential)?,
        self::totp(totp.unwrap_or(&JsValue::NULL))?,
        to_json(config)?,
    ))
}

fn create_token_body(options: &JsValue) -> Result<CreateToken> {
    if !options.is_object() {
        return Err(invalid(
            "createToken options must be {name, scopes, items?, ttlSecs?}",
        ));
    }
    let scopes = get(options, "scopes")?.ok_or_else(|| invalid("scopes must be an array"))?;
    let items = get(options, "items")?
        .map(|i| to_json(&i))
        .transpose()?
        .unwrap_or(serde_json::Value::Null);
    let ttl = opt_integer(options, "ttlSecs", false)?;
    let body = serde_json::json!({
        "name": get_string(options, "name")?,
        "scopes": to_json(&scopes)?,
        "items": items,
        "ttl_secs": ttl,
    });
    serde_json::from_value(body).map_err(|e| invalid(format!("createToken options: {e}")))
}

/// A JS browser-state object, through JSON text in a wiping buffer.
fn browser_state(value: &JsValue) -> Result<sealvault::BrowserState> {
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(invalid("state must be {cookies, origins}"));
    }
    let text: Zeroizing<String> = js_sys::JSON::stringify(value)?
        .as_string()
        .map(Zeroizing::new)
        .ok_or_else(|| invalid("state does not stringify"))?;
    sealvault::BrowserState::from_plaintext(text.as_bytes()).map_err(to_js)
}

/// `{url, ip?}` (or nothing) as a workflow proxy.
fn workflow_proxy_arg(value: Option<&JsValue>) -> Result<Option<WorkflowProxy>> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(None);
    };
    let url = Zeroizing::new(get_string(value, "url")?);
    let ip = match get(value, "ip")? {
        Some(ip) => Some(
            ip.as_string()
                .ok_or_else(|| invalid("workflowProxy.ip must be a string"))?,
        ),
        None => None,
    };
    Ok(Some(WorkflowProxy {
        url: SecretString::new(url.to_string()),
        ip,
    }))
}

fn session_options(options: Option<&JsValue>) -> Result<SessionOptions> {
    let mut out = SessionOptions::new(LeasePurpose::Login);
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok(out);
    };
    if let Some(purpose) = get(options, "purpose")? {
        out.purpose = match purpose.as_string().as_deref() {
            Some("login") => LeasePurpose::Login,
            Some("use") => LeasePurpose::Use,
            _ => return Err(invalid("purpose must be \"login\" or \"use\"")),
        };
    }
    if let Some(wait) = opt_integer(options, "waitSecs", false)? {
        out.wait = Duration::from_secs(wait as u64);
    }
    if let Some(ttl) = opt_integer(options, "ttlSecs", false)? {
        out.ttl = Some(Duration::from_secs(ttl as u64));
    }
    if let Some(beat) = get(options, "heartbeat")? {
        out.heartbeat = beat
            .as_bool()
            .ok_or_else(|| invalid("heartbeat must be a boolean"))?;
    }
    Ok(out)
}

/// `waitForTfaCode`'s options: the timeout (seconds, fractions allowed) and `since`.
fn tfa_wait_options(options: Option<&JsValue>) -> Result<(Duration, Option<i64>)> {
    let mut timeout = Duration::from_secs(60);
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok((timeout, None));
    };
    if let Some(secs) = get(options, "timeoutSecs")? {
        timeout = secs
            .as_f64()
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .ok_or_else(|| invalid("timeoutSecs must be a non-negative number"))?;
    }
    Ok((timeout, opt_integer(options, "since", true)?))
}

/// A held lease on one credential, with a background heartbeat. Release it
/// with `release()` or `await using` (`[Symbol.asyncDispose]`); `free()`
/// and the finalizer release it in the background.
#[wasm_bindgen(js_name = Session)]
pub struct JsSession {
    /// `None` once released. Calls in flight hold their own `Rc`.
    inner: RefCell<Option<Rc<sdk::Session>>>,
    session_id: String,
    item: String,
    fencing_token: u64,
    purpose: LeasePurpose,
}

impl JsSession {
    fn new(session: sdk::Session) -> Self {
        Self {
            session_id: session.session_id().to_owned(),
            item: session.item().to_owned(),
            fencing_token: session.fencing_token(),
            purpose: session.purpose(),
            inner: RefCell::new(Some(Rc::new(session))),
        }
    }

    fn live(&self) -> Result<Rc<sdk::Session>> {
        self.inner
            .borrow()
            .clone()
            .ok_or_else(|| invalid("the session was released"))
    }

    /// A promise of `f(session)`, or a rejected one once released.
    fn with<F, Fut>(&self, f: F) -> Promise
    where
        F: FnOnce(Rc<sdk::Session>) -> Fut,
        Fut: Future<Output = Result<JsValue>> + 'static,
    {
        match self.live() {
            Ok(session) => promise(f(session)),
            Err(e) => Promise::reject(&e),
        }
    }
}

fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// The session (lease) id.
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.session_id.clone()
    }

    /// The credential this lease is on.
    #[wasm_bindgen(getter)]
    pub fn item(&self) -> String {
        self.item.clone()
    }

    /// The fencing token (`X-Fencing-Token` of state writes).
    #[wasm_bindgen(getter, js_name = fencingToken)]
    pub fn fencing_token(&self) -> f64 {
        self.fencing_token as f64
    }

    /// "login" or "use".
    #[wasm_bindgen(getter, unchecked_return_type = "\"login\" | \"use\"")]
    pub fn purpose(&self) -> String {
        wire_name(&self.purpose)
    }

    /// "login" until `loginComplete()`, then "active"; "released" after release.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"login\" | \"active\" | \"released\""
    )]
    pub fn phase(&self) -> String {
        match self.live() {
            Ok(s) => wire_name(&s.phase()),
            Err(_) => "released".into(),
        }
    }

    /// When the lease ends without another heartbeat (unix seconds).
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Result<f64> {
        Ok(self.live()?.expires_at() as f64)
    }

    /// The credential's current state key (a copy; free it when done).
    #[wasm_bindgen(getter, js_name = stateKey)]
    pub fn state_key(&self) -> Result<JsDataKey> {
        let key = self.live()?.state_key();
        let inner = crate::error::core(sealvault::DataKey::from_bytes(
            key.key_id().as_bytes(),
            key.expose_secret(),
        ))?;
        Ok(JsDataKey { inner })
    }

    /// Why the background heartbeat stopped, if the lease was lost.
    #[wasm_bindgen(getter)]
    pub fn lost(&self) -> Option<String> {
        self.live().ok().and_then(|s| s.lost())
    }

    /// The credential, opened here with the key the vault released for
    /// this one envelope, its `sv:` context checked. Login phase only.
    #[wasm_bindgen(unchecked_return_type = "Promise<Credential>")]
    pub fn access(&self) -> Promise {
        self.with(|s| async move {
            let inner = api(s.access().await)?;
            Ok(JsCredential { inner }.into())
        })
    }

    /// The vault's TOTP code with at least `minValiditySecs` (default 0)
    /// left: `{code: SecretText, secondsLeft}`. Login phase only.
    #[wasm_bindgen(unchecked_return_type = "Promise<OneTimeCode>")]
    pub fn totp(
        &self,
        #[wasm_bindgen(js_name = minValiditySecs)] min_validity_secs: Option<f64>,
    ) -> Promise {
        self.with(|s| async move {
            let min = nonneg(min_validity_secs.unwrap_or(0.0), "minValiditySecs")?;
            let code = api(s.totp(min).await)?;
            let out = Object::new();
            set(&out, "code", &SecretText { inner: code.code }.into())?;
            set(
                &out,
                "secondsLeft",
                &JsValue::from(code.seconds_left as f64),
            )?;
            Ok(out.into())
        })
    }

    /// Waits up to `timeoutSecs` (default 60) for the email or SMS code the
    /// vault receives for this credential, at or after `since` (unix
    /// seconds; default the lease's grant): `{code, link, channel,
    /// receivedAt}` or `null` when none came. Each code is handed out once.
    /// Login phase only.
    #[wasm_bindgen(js_name = waitForTfaCode, unchecked_return_type = "Promise<TfaCode | null>")]
    pub fn wait_for_tfa_code(&self, options: Option<TfaWaitOptionsArg>) -> Promise {
        let args = tfa_wait_options(options.as_ref().map(|o| o.as_ref()));
        self.with(|s| async move {
            let (timeout, since) = args?;
            let answer = match since {
                Some(since) => s.wait_for_tfa_code_since(timeout, since).await,
                None => s.wait_for_tfa_code(timeout).await,
            };
            let Some(answer) = api(answer)? else {
                return Ok(JsValue::NULL);
            };
            let secret = |s: Option<SecretString>| {
                s.map_or(JsValue::NULL, |inner| SecretText { inner }.into())
            };
            let out = Object::new();
            set(&out, "code", &secret(answer.code))?;
            set(&out, "link", &secret(answer.link))?;
            set(&out, "channel", &JsValue::from(wire_name(&answer.channel)))?;
            set(
                &out,
                "receivedAt",
                &JsValue::from(answer.received_at as f64),
            )?;
            Ok(out.into())
        })
    }

    /// Ends the login phase.
    #[wasm_bindgen(js_name = loginComplete, unchecked_return_type = "Promise<void>")]
    pub fn login_complete(&self) -> Promise {
        self.with(|s| async move {
            api(s.login_complete().await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `text` with every secret this session handed out (password and
    /// fields of `access()`, codes of `totp()` and `waitForTfaCode()`, magic
    /// links) replaced by `[REDACTED]`: for agent logs and text sent to a
    /// language model. The values are wiped when the session is released.
    pub fn redact(&self, text: &str) -> Result<String> {
        Ok(self.live()?.redact(text))
    }

    /// The credential's config as the lease grant carried it.
    #[wasm_bindgen(getter, unchecked_return_type = "CredentialConfig | null")]
    pub fn config(&self) -> Result<JsValue> {
        json(self.live()?.config())
    }

    /// Seals and stores a browser state (Playwright's storageState plus
    /// `sessionStorage` per origin), keeping what the credential's
    /// persistence flags allow (filtering, sealing and the expiry hint
    /// happen in the core).
    #[wasm_bindgen(js_name = saveState, unchecked_return_type = "Promise<SessionStateWritten>")]
    pub fn save_state(&self, state: BrowserStateArg) -> Promise {
        let state = browser_state(state.as_ref());
        self.with(|s| async move {
            let written = api(s.save_state(&state?).await)?;
            json(&written)
        })
    }

    /// The stored browser state, or `null` when absent or expired.
    #[wasm_bindgen(js_name = loadState, unchecked_return_type = "Promise<BrowserState | null>")]
    pub fn load_state(&self) -> Promise {
        self.with(|s| async move {
            match api(s.load_state().await)? {
                Some(state) => {
                    let text = state.to_plaintext().map_err(to_js)?;
                    let text = std::str::from_utf8(&text)
                        .map_err(|_| invalid("browser state is not UTF-8"))?;
                    js_sys::JSON::parse(text)
                }
                None => Ok(JsValue::NULL),
            }
        })
    }

    /// Deletes the stored browser state.
    #[wasm_bindgen(js_name = deleteState, unchecked_return_type = "Promise<void>")]
    pub fn delete_state(&self) -> Promise {
        self.with(|s| async move {
            api(s.delete_state().await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The proxy to use: the credential's pool member when its config
    /// enables one, else `workflowProxy`, else none.
    #[wasm_bindgen(js_name = resolveProxy, unchecked_return_type = "Promise<ProxyAnswer>")]
    pub fn resolve_proxy(
        &self,
        #[wasm_bindgen(js_name = workflowProxy)] workflow_proxy: Option<WorkflowProxyArg>,
    ) -> Promise {
        let workflow = workflow_proxy_arg(workflow_proxy.as_ref().map(|w| w.as_ref()));
        self.with(|s| async move {
            let mut answer = api(s.resolve_proxy(workflow?).await)?;
            let choice = answer.proxy.take();
            let out = json(&answer)?;
            if let Some(choice) = choice {
                let proxy = Object::new();
                set(
                    &proxy,
                    "id",
                    &choice.id.as_deref().map_or(JsValue::NULL, JsValue::from),
                )?;
                set(&proxy, "url", &SecretText::copy(&choice.url).into())?;
                set(
                    &proxy,
                    "ip",
                    &choice.ip.as_deref().map_or(JsValue::NULL, JsValue::from),
                )?;
                set(out.unchecked_ref(), "proxy", &proxy.into())?;
            }
            Ok(out)
        })
    }

    /// Renews the lease now (the background heartbeat does this on its own).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn heartbeat(&self) -> Promise {
        self.with(|s| async move {
            api(s.heartbeat().await)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Releases the lease now and stops the heartbeat; again: a no-op.
    /// With a call still in flight, the lease is released in the
    /// background when that call ends.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn release(&self) -> Promise {
        let taken = self.inner.borrow_mut().take();
        promise(async move {
            if let Some(session) = taken {
                match Rc::try_unwrap(session) {
                    Ok(session) => api(session.release().await)?,
                    Err(shared) => drop(shared),
                }
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `Session(<item>, <session id>)`: never the lease token.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("Session({}, {})", self.item, self.session_id)
    }
}

/// An opened credential: `username`, and `password` / `fields` as
/// `SecretText` copies. Its own copy is wiped on `free()`,
/// `[Symbol.dispose]` or finalization; each `SecretText` taken from it
/// is wiped likewise, on its own.
#[wasm_bindgen(js_name = Credential)]
pub struct JsCredential {
    inner: sdk::Credential,
}

#[wasm_bindgen(js_class = Credential)]
impl JsCredential {
    /// The login name.
    #[wasm_bindgen(getter)]
    pub fn username(&self) -> String {
        self.inner.username.clone()
    }

    /// The password (a new `SecretText` each time).
    #[wasm_bindgen(getter)]
    pub fn password(&self) -> SecretText {
        SecretText::copy(&self.inner.password)
    }

    /// The extra secret fields by name (new `SecretText`s each time).
    #[wasm_bindgen(getter, unchecked_return_type = "Record<string, SecretText>")]
    pub fn fields(&self) -> Result<JsValue> {
        let out = Object::new();
        for (name, value) in &self.inner.fields {
            set(&out, name, &SecretText::copy(value).into())?;
        }
        Ok(out.into())
    }

    /// The config's `login_url`.
    #[wasm_bindgen(getter, js_name = loginUrl)]
    pub fn login_url(&self) -> Option<String> {
        self.inner.login_url().map(str::to_owned)
    }

    /// Throws `invalid_request` unless `pageUrl` has the origin of the
    /// config's `login_url`: call before typing the credential into a page.
    #[wasm_bindgen(js_name = checkOrigin)]
    pub fn check_origin(&self, #[wasm_bindgen(js_name = pageUrl)] page_url: &str) -> Result<()> {
        self.inner.check_origin(page_url).map_err(to_js)
    }

    /// `Credential(<username>, [redacted])`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("Credential({}, [redacted])", self.inner.username)
    }

    /// `{username, password: "[redacted]", fields: [names]}` in `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> Result<JsValue> {
        let names: Vec<&String> = self.inner.fields.keys().collect();
        json(&serde_json::json!({
            "username": self.inner.username,
            "password": "[redacted]",
            "fields": names,
        }))
    }
}

/// Refuses (`invalid_request`) unless `pageUrl` has the origin (scheme,
/// host, port) of `loginUrl`.
#[wasm_bindgen(js_name = checkOrigin)]
pub fn check_origin(
    #[wasm_bindgen(js_name = loginUrl)] login_url: &str,
    #[wasm_bindgen(js_name = pageUrl)] page_url: &str,
) -> Result<()> {
    sdk::check_origin(login_url, page_url).map_err(to_js)
}

/// A secret string (a password, a field, a one-time code) in wasm memory,
/// wiped on `free()`, `[Symbol.dispose]` or finalization. `toString()` and
/// `toJSON()` print `[redacted]`; `expose()` returns the text (a JS string,
/// which cannot be wiped: keep it short-lived).
#[wasm_bindgen]
pub struct SecretText {
    inner: SecretString,
}

impl SecretText {
    fn copy(secret: &SecretString) -> Self {
        Self {
            inner: SecretString::new(secret.expose_secret().to_owned()),
        }
    }
}

#[wasm_bindgen]
impl SecretText {
    /// The text.
    pub fn expose(&self) -> String {
        self.inner.expose_secret().to_owned()
    }

    /// Length in UTF-16 code units (as `expose().length`).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.expose_secret().encode_utf16().count()
    }

    /// `[redacted]`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "[redacted]".into()
    }

    /// `"[redacted]"` in `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        "[redacted]".into()
    }
}

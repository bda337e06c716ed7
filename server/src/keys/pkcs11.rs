//! The `pkcs11` master-key provider: an AES-256 key inside an HSM, reached
//! through a PKCS#11 module (SoftHSM2 in tests).
//!
//! Wrapping is the HSM's AES-GCM *encryption* of the key bytes with the AAD
//! of DESIGN §5 (plain AES key wrap has no AAD, and SoftHSM2 refuses GCM for
//! `C_WrapKey`), stored as `iv(12) | ciphertext | tag(16)`; unwrapping is
//! `C_Decrypt`. The master key never leaves the token.
//!
//! Parameters: the module path, the token label (the slot is found by label:
//! slot ids change when tokens are initialised), the user PIN (from an
//! environment variable or a file) and the key label.
//!
//! Errors: a failing call drops the connection (session, login, module
//! context) and the next use opens a fresh one, so the provider recovers by
//! itself when the token comes back; an operation that fails on an old
//! connection is retried once on a new one. A tag that does not verify is
//! [`KeyError::Unwrap`] (SoftHSM2 reports it as `CKR_GENERAL_ERROR`, so that
//! code counts as a refusal only while the session and key still answer);
//! everything else is [`KeyError::Unavailable`] with the
//! PKCS#11 return code as the reason.
//!
//! Security: the PIN is held in a zeroizing buffer, never logged and never
//! put in an error. Calls block, so they run on tokio's blocking pool, one
//! at a time over one logged-in session.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use rand::RngCore;
use zeroize::Zeroizing;

use super::provider::{KeyError, MasterKeyProvider};

const IV_LEN: usize = 12;
const TAG_BITS: u64 = 128;

/// Where the key lives and how to log in.
pub struct Pkcs11Settings {
    /// The PKCS#11 module (`/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// The token's label.
    pub token_label: String,
    /// The AES key's label (`CKA_LABEL`).
    pub key_label: String,
    /// The user PIN.
    pub pin: Zeroizing<String>,
}

impl fmt::Debug for Pkcs11Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Settings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .field("pin", &"[redacted]")
            .finish()
    }
}

/// One logged-in session and the key's handle. Fields drop in order: the
/// session closes before the module context finalises.
struct Conn {
    session: Session,
    key: ObjectHandle,
    _ctx: Pkcs11,
}

/// The `pkcs11` provider.
pub struct Pkcs11Provider {
    id: String,
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    settings: Pkcs11Settings,
    conn: Mutex<Option<Conn>>,
}

impl fmt::Debug for Pkcs11Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Provider")
            .field("id", &self.id)
            .field("settings", &self.inner.settings)
            .finish()
    }
}

fn rv(e: &P11Error) -> Option<RvError> {
    match e {
        P11Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// A short, non-secret description of a PKCS#11 failure.
fn describe(e: &P11Error) -> String {
    match e {
        P11Error::Pkcs11(rv, function) => format!("{function}: {rv:?}"),
        other => other.to_string(),
    }
}

impl Inner {
    fn unavailable(&self, reason: String) -> KeyError {
        KeyError::Unavailable {
            id: self.id.clone(),
            reason,
        }
    }

    fn p11(&self, what: &str, e: &P11Error) -> KeyError {
        self.unavailable(format!("{what}: {}", describe(e)))
    }

    /// Loads the module, finds the token by label and logs in.
    fn login(&self, rw: bool) -> Result<(Pkcs11, Session), KeyError> {
        let s = &self.settings;
        let ctx = Pkcs11::new(&s.module).map_err(|e| {
            self.unavailable(format!(
                "cannot load PKCS#11 module {}: {e}",
                s.module.display()
            ))
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Err(e) if rv(&e) != Some(RvError::CryptokiAlreadyInitialized) => {
                return Err(self.p11("initialise", &e));
            }
            _ => {}
        }
        let slots = ctx
            .get_slots_with_token()
            .map_err(|e| self.p11("list slots", &e))?;
        let slot = slots
            .into_iter()
            .find(|slot| {
                ctx.get_token_info(*slot)
                    .is_ok_and(|t| t.label() == s.token_label)
            })
            .ok_or_else(|| self.unavailable(format!("no token labelled {:?}", s.token_label)))?;
        let session = if rw {
            ctx.open_rw_session(slot)
        } else {
            ctx.open_ro_session(slot)
        }
        .map_err(|e| self.p11("open session", &e))?;
        let pin = AuthPin::from(s.pin.as_str().to_owned());
        match session.login(UserType::User, Some(&pin)) {
            Err(e) if rv(&e) == Some(RvError::PinIncorrect) => {
                return Err(self.unavailable(format!(
                    "token {:?} refused the user PIN (CKR_PIN_INCORRECT)",
                    s.token_label
                )));
            }
            Err(e) if rv(&e) != Some(RvError::UserAlreadyLoggedIn) => {
                return Err(self.p11("login", &e));
            }
            _ => {}
        }
        Ok((ctx, session))
    }

    fn key_template(&self) -> Vec<Attribute> {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(self.settings.key_label.as_bytes().to_vec()),
        ]
    }

    fn find_key(&self, session: &Session) -> Result<Option<ObjectHandle>, KeyError> {
        let found = session
            .find_objects(&self.key_template())
            .map_err(|e| self.p11("find key", &e))?;
        match found.as_slice() {
            [] => Ok(None),
            [key] => Ok(Some(*key)),
            _ => Err(self.unavailable(format!(
                "{} AES keys labelled {:?} on the token",
                found.len(),
                self.settings.key_label
            ))),
        }
    }

    fn connect(&self) -> Result<Conn, KeyError> {
        let (ctx, session) = self.login(false)?;
        let key = self.find_key(&session)?.ok_or_else(|| {
            self.unavailable(format!(
                "no AES key labelled {:?} on token {:?} (run `sealvault-server hsm-init`)",
                self.settings.key_label, self.settings.token_label
            ))
        })?;
        Ok(Conn {
            session,
            key,
            _ctx: ctx,
        })
    }

    /// Runs `op` on the pooled connection, opening one if needed; a failure
    /// other than a bad tag drops it, and a call that failed on an old
    /// connection is retried once on a fresh one.
    fn with_conn<T>(&self, op: impl Fn(&Conn) -> Result<T, KeyError>) -> Result<T, KeyError> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| self.unavailable("connection lock poisoned".into()))?;
        let reused = guard.is_some();
        for attempt in 0..2 {
            if guard.is_none() {
                *guard = Some(self.connect()?);
            }
            let Some(conn) = guard.as_ref() else {
                continue;
            };
            match op(conn) {
                Err(KeyError::Unavailable { .. }) if attempt == 0 && reused => *guard = None,
                Err(e @ KeyError::Unavailable { .. }) => {
                    *guard = None;
                    return Err(e);
                }
                other => return other,
            }
        }
        Err(self.unavailable("no connection".into()))
    }

    fn encrypt(&self, conn: &Conn, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut iv = [0u8; IV_LEN];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        let mut params_iv = iv;
        let params = GcmParams::new(&mut params_iv, aad, TAG_BITS.into())
            .map_err(|e| self.p11("GCM parameters", &e))?;
        let sealed = conn
            .session
            .encrypt(&Mechanism::AesGcm(params), conn.key, key)
            .map_err(|e| self.p11("encrypt", &e))?;
        let mut out = Vec::with_capacity(IV_LEN + sealed.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    fn decrypt(
        &self,
        conn: &Conn,
        wrapped: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if wrapped.len() < IV_LEN + 16 {
            return Err(KeyError::Unwrap(self.id.clone()));
        }
        let (iv, sealed) = wrapped.split_at(IV_LEN);
        let mut iv: [u8; IV_LEN] = iv
            .try_into()
            .map_err(|_| KeyError::Unwrap(self.id.clone()))?;
        let params = GcmParams::new(&mut iv, aad, TAG_BITS.into())
            .map_err(|e| self.p11("GCM parameters", &e))?;
        match conn
            .session
            .decrypt(&Mechanism::AesGcm(params), conn.key, sealed)
        {
            Ok(plain) => Ok(Zeroizing::new(plain)),
            Err(e) if self.tag_failure(conn, &e) => Err(KeyError::Unwrap(self.id.clone())),
            Err(e) => Err(self.p11("decrypt", &e)),
        }
    }

    /// Whether a failed `C_Decrypt` refused the ciphertext (rather than the
    /// token failing): the return code says so, or, for modules that report
    /// a bad GCM tag as `CKR_GENERAL_ERROR` (SoftHSM2 does), the session
    /// still answers and the key is still there.
    fn tag_failure(&self, conn: &Conn, e: &P11Error) -> bool {
        match rv(e) {
            Some(RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange) => true,
            Some(RvError::GeneralError) => {
                conn.session.get_session_info().is_ok()
                    && matches!(self.find_key(&conn.session), Ok(Some(key)) if key == conn.key)
            }
            _ => false,
        }
    }
}

impl Pkcs11Provider {
    /// Connects and logs in now, so a wrong PIN or a missing key stops the
    /// server at start with a clear message.
    pub fn connect(id: &str, settings: Pkcs11Settings) -> Result<Self, KeyError> {
        let inner = Inner {
            id: id.to_owned(),
            settings,
            conn: Mutex::new(None),
        };
        let conn = inner.connect()?;
        *inner
            .conn
            .lock()
            .map_err(|_| inner.unavailable("connection lock poisoned".into()))? = Some(conn);
        Ok(Self {
            id: id.to_owned(),
            inner: Arc::new(inner),
        })
    }

    /// `hsm-init`: creates the AES-256 key on the token unless a key with
    /// that label exists (sensitive, never extractable, encrypt and decrypt
    /// only). `Ok(true)` when it was created.
    pub fn init_key(id: &str, settings: Pkcs11Settings) -> Result<bool, KeyError> {
        let inner = Inner {
            id: id.to_owned(),
            settings,
            conn: Mutex::new(None),
        };
        let (_ctx, session) = inner.login(true)?;
        if inner.find_key(&session)?.is_some() {
            return Ok(false);
        }
        let mut template = inner.key_template();
        template.extend([
            Attribute::ValueLen(32.into()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
        ]);
        session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| inner.p11("generate key", &e))?;
        Ok(true)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Inner) -> Result<T, KeyError> + Send + 'static,
    ) -> Result<T, KeyError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || op(&inner))
            .await
            .map_err(|_| KeyError::Unavailable {
                id: self.id.clone(),
                reason: "PKCS#11 worker failed".into(),
            })?
    }
}

#[async_trait]
impl MasterKeyProvider for Pkcs11Provider {
    fn id(&self) -> &str {
        &self.id
    }

    async fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = Zeroizing::new(key.to_vec());
        let aad = aad.to_vec();
        self.blocking(move |inner| inner.with_conn(|conn| inner.encrypt(conn, &key, &aad)))
            .await
    }

    async fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let (wrapped, aad) = (wrapped.to_vec(), aad.to_vec());
        self.blocking(move |inner| inner.with_conn(|conn| inner.decrypt(conn, &wrapped, &aad)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_pin() {
        let settings = Pkcs11Settings {
            module: "/lib/p11.so".into(),
            token_label: "t".into(),
            key_label: "k".into(),
            pin: Zeroizing::new("pin-93b1f0c2".into()),
        };
        let text = format!("{settings:?}");
        assert!(!text.contains("pin-93b1f0c2"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

//! Master-key providers. `file` and `env` hold the key in process memory
//! (zeroized on drop) and wrap locally as `nonce(12) | AES-256-GCM(MK,
//! nonce, key, aad)`; an HSM or KMS provider implements the same trait.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use base64::Engine;
use rand::RngCore;
use zeroize::Zeroizing;

/// A master-key failure. Messages name paths and variables, never key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key cannot be loaded or reached.
    #[error("master key {id:?} unavailable: {reason}")]
    Unavailable {
        /// Keyring member id.
        id: String,
        /// Why.
        reason: String,
    },
    /// A wrapped key does not authenticate under this master key and AAD.
    #[error("wrapped key does not open under master key {0:?}")]
    Unwrap(String),
    /// A row names a master key the keyring does not hold.
    #[error("no master key {0:?} in the keyring")]
    UnknownMember(String),
}

impl KeyError {
    /// The keyring member concerned.
    pub fn member(&self) -> &str {
        match self {
            Self::Unavailable { id, .. } | Self::Unwrap(id) | Self::UnknownMember(id) => id,
        }
    }
}

/// A master key: wraps and unwraps keys with associated data.
#[async_trait]
pub trait MasterKeyProvider: Send + Sync {
    /// The keyring member id, stored beside every wrapped key.
    fn id(&self) -> &str;
    /// Wraps `key` bound to `aad`.
    async fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Unwraps what [`MasterKeyProvider::wrap`] produced with the same `aad`.
    async fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError>;
    /// Whether the key can be disabled or deleted from outside this process
    /// (an HSM, a KMS), so that its unwraps must not outlive a request.
    fn revocable(&self) -> bool {
        true
    }
}

/// A master key held in memory: the `file` and `env` providers.
pub struct LocalProvider {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for LocalProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalProvider")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// Reads 32 raw bytes, or base64 (standard or url-safe, padded or not) of 32
/// bytes, surrounding whitespace ignored.
pub fn parse_key_material(bytes: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
    let mut key = Zeroizing::new([0u8; 32]);
    if bytes.len() == 32 {
        key.copy_from_slice(bytes);
        return Ok(key);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "neither 32 raw bytes nor base64".to_owned())?
        .trim();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    for engine in engines {
        if let Ok(decoded) = engine.decode(text).map(Zeroizing::new)
            && decoded.len() == 32
        {
            key.copy_from_slice(&decoded);
            return Ok(key);
        }
    }
    Err("neither 32 raw bytes nor base64 of 32 bytes".to_owned())
}

impl LocalProvider {
    /// A provider over given key bytes.
    pub fn new(id: &str, key: Zeroizing<[u8; 32]>) -> Self {
        Self {
            id: id.to_owned(),
            key,
        }
    }

    /// The `file` provider: 32 raw bytes or base64 in a file (a Kubernetes
    /// Secret volume, for instance).
    pub fn from_file(id: &str, path: &Path) -> Result<Self, KeyError> {
        let unavailable = |reason: String| KeyError::Unavailable {
            id: id.to_owned(),
            reason,
        };
        let bytes = Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| unavailable(format!("cannot read {}: {e}", path.display())))?,
        );
        let key = parse_key_material(&bytes)
            .map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self::new(id, key))
    }

    /// The `env` provider: base64 of 32 bytes in an environment variable.
    pub fn from_env(id: &str, var: &str) -> Result<Self, KeyError> {
        let unavailable = |reason: String| KeyError::Unavailable {
            id: id.to_owned(),
            reason,
        };
        let text = Zeroizing::new(
            std::env::var(var).map_err(|_| unavailable(format!("{var} is not set")))?,
        );
        let key =
            parse_key_material(text.as_bytes()).map_err(|e| unavailable(format!("{var}: {e}")))?;
        Ok(Self::new(id, key))
    }

    fn cipher(&self) -> Result<Aes256Gcm, KeyError> {
        Aes256Gcm::new_from_slice(self.key.as_slice()).map_err(|_| KeyError::Unavailable {
            id: self.id.clone(),
            reason: "bad key length".into(),
        })
    }
}

#[async_trait]
impl MasterKeyProvider for LocalProvider {
    fn id(&self) -> &str {
        &self.id
    }

    fn revocable(&self) -> bool {
        false
    }

    async fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher()?
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: key, aad })
            .map_err(|_| KeyError::Unwrap(self.id.clone()))?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    async fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if wrapped.len() < 12 + 16 {
            return Err(KeyError::Unwrap(self.id.clone()));
        }
        let (nonce, sealed) = wrapped.split_at(12);
        self.cipher()?
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad })
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Unwrap(self.id.clone()))
    }
}

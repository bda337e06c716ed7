//! The one error type of the core, with stable codes.
//!
//! Every failure has its own variant and a stable [`Error::code`] string; the
//! same string reaches Python (`.code` on the exception), JavaScript (`.code`
//! on an `Error`) and the vault's JSON error body (`{"error":{"code"}}`).
//! Messages never carry secret material: at most field names, lengths and
//! key ids (which are public).

use crate::keys::KeyId;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The envelope or its context is not well-formed (truncated, trailing
    /// bytes, bad magic, unsorted or duplicate context keys, oversize, …).
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(&'static str),
    /// The envelope's format version or suite is not one this build knows.
    #[error("unsupported envelope version {version} / suite {suite}")]
    UnsupportedVersion {
        /// Format version byte found.
        version: u8,
        /// Suite byte found.
        suite: u8,
    },
    /// The envelope names another data key than the one given.
    #[error("envelope sealed under key {found}, not {expected}")]
    WrongKey {
        /// The id of the key the caller passed.
        expected: KeyId,
        /// The id the envelope names.
        found: KeyId,
    },
    /// The key commitment does not match: wrong key bytes or a forged header.
    #[error("key commitment mismatch")]
    CommitmentMismatch,
    /// The GCM tag did not verify: the ciphertext or header was altered.
    #[error("integrity check failed")]
    Integrity,
    /// The envelope opened, but a context entry the caller expects differs
    /// or is missing.
    #[error("context mismatch on key {key:?}")]
    ContextMismatch {
        /// The context key that did not match.
        key: String,
    },
    /// A caller-supplied context cannot be encoded (empty or oversize key,
    /// oversize value or total).
    #[error("invalid context: {0}")]
    InvalidContext(&'static str),
    /// `seal` was given a reserved `sv:` context key; use `seal_item`.
    #[error("context key {key:?} is reserved (keys starting \"sv:\" are set by seal_item)")]
    ReservedContextKey {
        /// The refused key.
        key: String,
    },
    /// Key material of the wrong length or encoding.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// An input other than a key, context or envelope is invalid (an item
    /// id, a version, a plaintext that is too large, …).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A credential configuration fails validation.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// A TOTP/HOTP secret, URI, parameter or time is invalid.
    #[error("invalid totp: {0}")]
    InvalidTotp(String),
}

impl Error {
    /// The stable code of this error, as listed in DESIGN §9.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedEnvelope(_) => "malformed_envelope",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::WrongKey { .. } => "wrong_key",
            Error::CommitmentMismatch => "commitment_mismatch",
            Error::Integrity => "integrity",
            Error::ContextMismatch { .. } => "context_mismatch",
            Error::InvalidContext(_)
            | Error::ReservedContextKey { .. }
            | Error::InvalidKey(_)
            | Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidConfig(_) => "invalid_config",
            Error::InvalidTotp(_) => "invalid_totp",
        }
    }
}

/// Result alias of the core.
pub type Result<T, E = Error> = core::result::Result<T, E>;

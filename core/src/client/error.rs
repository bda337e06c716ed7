//! The client's errors: the vault's typed API errors, transport failures,
//! and the core's own errors from sealing and opening.

use crate::keys::KeyId;
use crate::wire::{ErrorBody, ErrorCode};

/// An error answer of the vault: its HTTP status and stable code (DESIGN §9).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vault answered {status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable code (`not_found`, `version_conflict`, …), kept as a string so
    /// codes added later still arrive.
    pub code: String,
    /// The vault's message; never secret.
    pub message: String,
    /// With `version_conflict`: the item's current version.
    pub current_version: Option<u64>,
    /// With `stale_data_key`: the user's current data key id.
    pub current_key_id: Option<KeyId>,
    /// With `rate_limited` and some lease errors: when to try again.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    /// The code as a known [`ErrorCode`], if it is one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::parse(&self.code)
    }

    /// Whether this is the error with code `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.as_str()
    }

    /// Builds the error from a status and the (possibly empty or foreign) body.
    pub(crate) fn from_body(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(b) => ApiError {
                status,
                code: b.error.code,
                message: b.error.message,
                current_version: b.error.current_version,
                current_key_id: b.error.current_key_id,
                retry_after_secs: b.error.retry_after_secs,
            },
            // Not our error body (a proxy's page, an empty 502): a code from the status.
            Err(_) => ApiError {
                status,
                code: fallback_code(status).as_str().to_owned(),
                message: format!("HTTP {status} without a SealVault error body"),
                current_version: None,
                current_key_id: None,
                retry_after_secs: None,
            },
        }
    }
}

fn fallback_code(status: u16) -> ErrorCode {
    match status {
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        413 => ErrorCode::PayloadTooLarge,
        429 => ErrorCode::RateLimited,
        503 => ErrorCode::MasterKeyUnavailable,
        400..=499 => ErrorCode::InvalidRequest,
        _ => ErrorCode::Internal,
    }
}

/// Everything a client call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The vault answered with an error.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request did not complete (connection refused, timeout, TLS…).
    /// `sent` is false when it provably never reached the vault.
    #[error("transport error ({}): {message}", if *.sent { "request may have been sent" } else { "request not sent" })]
    Transport {
        /// What failed; never holds a body or a header value.
        message: String,
        /// Whether the vault may have received the request.
        sent: bool,
    },
    /// Sealing, opening or validating failed locally.
    #[error(transparent)]
    Core(#[from] crate::Error),
    /// The vault's answer did not have the documented shape.
    #[error("unexpected answer from the vault: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The stable code: the vault's, the core's, or `transport` / `protocol`.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Api(e) => &e.code,
            ClientError::Core(e) => e.code(),
            ClientError::Transport { .. } => "transport",
            ClientError::Protocol(_) => "protocol",
        }
    }

    /// The HTTP status, for an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is the API error with code `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.api().is_some_and(|e| e.is(code))
    }

    pub(crate) fn transport(e: &reqwest::Error) -> Self {
        let sent = !never_sent(e) && !e.is_builder();
        ClientError::Transport {
            message: describe(e),
            sent,
        }
    }
}

/// Whether the request provably never reached the vault: a failed connect.
/// In a browser, fetch does not say, so nothing counts as unsent there.
fn never_sent(e: &reqwest::Error) -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    return e.is_connect();
    #[cfg(target_arch = "wasm32")]
    return {
        let _ = e;
        false
    };
}

/// What a reqwest error was, with its causes, without its URL.
fn describe(e: &reqwest::Error) -> String {
    let mut text = String::from(if e.is_timeout() {
        "timed out"
    } else if never_sent(e) {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Result alias of the client.
pub type ClientResult<T> = Result<T, ClientError>;

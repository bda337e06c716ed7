//! The JSON error body `{"error":{"code","message",…}}` and the one table
//! mapping each stable code to its HTTP status (DESIGN §9).

use serde::{Deserialize, Serialize};

use crate::keys::KeyId;

macro_rules! error_codes {
    ($($variant:ident = $code:literal => $status:literal,)*) => {
        /// Every stable error code of the API and the core.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(#[doc = concat!("`", $code, "` (HTTP ", $status, ")")] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable string.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status the vault answers with.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// The code for a string, if known.
            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    InvalidRequest = "invalid_request" => 400,
    InvalidConfig = "invalid_config" => 400,
    Unauthorized = "unauthorized" => 401,
    Forbidden = "forbidden" => 403,
    NotFound = "not_found" => 404,
    RequestTimeout = "request_timeout" => 408,
    VersionConflict = "version_conflict" => 409,
    SaltReuse = "salt_reuse" => 409,
    DataKeyExists = "data_key_exists" => 409,
    NoNumberAvailable = "no_number_available" => 409,
    AmbiguousRecipient = "ambiguous_recipient" => 409,
    StaleDataKey = "stale_data_key" => 409,
    ConcurrencyLimit = "concurrency_limit" => 409,
    LeaseRequired = "lease_required" => 409,
    StaleFencingToken = "stale_fencing_token" => 409,
    PayloadTooLarge = "payload_too_large" => 413,
    MalformedEnvelope = "malformed_envelope" => 422,
    UnsupportedVersion = "unsupported_version" => 422,
    WrongKey = "wrong_key" => 422,
    CommitmentMismatch = "commitment_mismatch" => 422,
    Integrity = "integrity" => 422,
    ContextMismatch = "context_mismatch" => 422,
    InvalidTotp = "invalid_totp" => 422,
    LoginInProgress = "login_in_progress" => 423,
    RateLimited = "rate_limited" => 429,
    Internal = "internal" => 500,
    MasterKeyUnavailable = "master_key_unavailable" => 503,
    ProxyUnavailable = "proxy_unavailable" => 503,
}

impl From<&crate::Error> for ErrorCode {
    fn from(e: &crate::Error) -> Self {
        // Every core code is in the table; `internal` is never a core code.
        ErrorCode::parse(e.code()).unwrap_or(ErrorCode::Internal)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ErrorCode::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {code:?}")))
    }
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of an error body. Fields may be added, never renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code; kept as a string so clients survive codes added later.
    pub code: String,
    /// Human-readable message; never holds secret material.
    pub message: String,
    /// With `version_conflict`: the item's current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
    /// With `stale_data_key`: the user's current data key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_key_id: Option<KeyId>,
    /// With `rate_limited` and some lease errors: when to try again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl ErrorBody {
    /// A body with just a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.as_str().to_owned(),
                message: message.into(),
                current_version: None,
                current_key_id: None,
                retry_after_secs: None,
            },
        }
    }
}

impl From<&crate::Error> for ErrorBody {
    fn from(e: &crate::Error) -> Self {
        ErrorBody::new(ErrorCode::from(e), e.to_string())
    }
}

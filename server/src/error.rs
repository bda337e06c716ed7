//! The one API error type, mapped once to `{"error":{"code","message",…}}`
//! and the status of `sealvault::wire::ErrorCode::status()`.
//!
//! # Security
//! Messages name fields, lengths and ids only; storage and key-provider
//! failures become `internal` / `master_key_unavailable` with no detail, and
//! are logged without secrets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sealvault::KeyId;
use sealvault::wire::{ErrorBody, ErrorCode};

/// An API failure: a stable code, a safe message, optional details.
#[derive(Debug)]
pub struct ApiError {
    /// The stable code; decides the status.
    pub code: ErrorCode,
    /// Human-readable, never secret.
    pub message: String,
    /// With `version_conflict`.
    pub current_version: Option<u64>,
    /// With `stale_data_key`.
    pub current_key_id: Option<KeyId>,
    /// With `rate_limited`.
    pub retry_after_secs: Option<u64>,
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            current_version: None,
            current_key_id: None,
            retry_after_secs: None,
        }
    }

    /// `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// `not_found`: the same answer for missing and not visible.
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "not found")
    }

    /// `unauthorized`.
    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "missing, invalid, expired or revoked token",
        )
    }

    /// `forbidden`, naming the missing scope.
    pub fn forbidden(scope: &str) -> Self {
        Self::new(ErrorCode::Forbidden, format!("token lacks scope {scope}"))
    }

    /// `version_conflict` with the current version.
    pub fn version_conflict(current: u64) -> Self {
        Self {
            current_version: Some(current),
            ..Self::new(
                ErrorCode::VersionConflict,
                "expected_version is not the current version",
            )
        }
    }

    /// `stale_data_key` with the current key id.
    pub fn stale_key(current: KeyId) -> Self {
        Self {
            current_key_id: Some(current),
            ..Self::new(
                ErrorCode::StaleDataKey,
                "not sealed under the current data key",
            )
        }
    }

    /// `lease_required`.
    pub fn lease_required() -> Self {
        Self::new(
            ErrorCode::LeaseRequired,
            "a live lease on this credential in its login phase is required",
        )
    }

    /// `lease_required` where any live lease on the credential will do
    /// (session state, whatever the lease's purpose or phase).
    pub fn live_lease_required() -> Self {
        Self::new(
            ErrorCode::LeaseRequired,
            "a live lease on this credential is required",
        )
    }

    /// `rate_limited`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(ErrorCode::RateLimited, "too many requests")
        }
    }

    /// `internal`, no detail; the cause is logged (it never holds secrets).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// `master_key_unavailable`.
    pub fn master_key(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "master key unavailable");
        Self::new(ErrorCode::MasterKeyUnavailable, "master key unavailable")
    }

    /// The error body.
    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code, self.message.clone());
        body.error.current_version = self.current_version;
        body.error.current_key_id = self.current_key_id;
        body.error.retry_after_secs = self.retry_after_secs;
        body
    }
}

impl From<sealvault::Error> for ApiError {
    fn from(e: sealvault::Error) -> Self {
        ApiError::new(ErrorCode::from(&e), e.to_string())
    }
}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = secs.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

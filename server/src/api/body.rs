//! A JSON body extractor whose failures are API errors: `payload_too_large`
//! (413) past the body limit, `invalid_request` otherwise. Messages never
//! quote the body (a misplaced secret would land in the answer).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use sealvault::wire::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body.
pub struct Body<T>(pub T);

fn rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status().as_u16() == 413 {
        return ApiError::new(ErrorCode::PayloadTooLarge, "request body too large");
    }
    let text = rejection.body_text();
    if text.contains('"') || text.contains('\'') {
        ApiError::invalid("request body is not the expected JSON")
    } else {
        ApiError::invalid(text)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(value)| Body(value))
            .map_err(rejection)
    }
}

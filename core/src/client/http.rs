//! Requests to the vault: URL building, authentication headers, error
//! bodies and the retry policy of DESIGN §8.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::error::{ApiError, ClientError, ClientResult};
use super::{Client, rt};
use crate::wire::{FENCING_TOKEN_HEADER, LEASE_TOKEN_HEADER, SecretString};

/// When a failed call may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Reads and other calls whose repetition changes nothing: retried on
    /// any transport error and on 502/503/504.
    Idempotent,
    /// Everything else: retried only when the request never left.
    UnsentOnly,
}

/// One request, before it is sent.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a [&'a str],
    pub query: &'a [(&'a str, String)],
    pub body: Option<Zeroizing<Vec<u8>>>,
    pub lease_token: Option<&'a SecretString>,
    pub fencing_token: Option<u64>,
    pub retry: Retry,
    /// Extra time the vault may legitimately take (a long poll).
    pub extra_timeout: Duration,
}

impl<'a> Call<'a> {
    /// A call without body or lease.
    pub fn new(method: Method, path: &'a [&'a str], retry: Retry) -> Self {
        Self {
            method,
            path,
            query: &[],
            body: None,
            lease_token: None,
            fencing_token: None,
            retry,
            extra_timeout: Duration::ZERO,
        }
    }

    /// With a JSON body.
    pub fn json(mut self, body: &impl Serialize) -> ClientResult<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::Protocol(format!("request body: {e}")))?;
        self.body = Some(Zeroizing::new(bytes));
        Ok(self)
    }

    /// With an `X-Lease-Token`.
    pub fn lease(mut self, token: &'a SecretString) -> Self {
        self.lease_token = Some(token);
        self
    }

    /// With an `X-Fencing-Token` (session-state writes).
    pub fn fencing(mut self, token: u64) -> Self {
        self.fencing_token = Some(token);
        self
    }
}

impl Client {
    /// Sends `call` and parses a JSON answer (`()` for an empty one).
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: Call<'_>) -> ClientResult<T> {
        let body = self.send(&call).await?;
        let text: &[u8] = if body.is_empty() { b"null" } else { &body };
        serde_json::from_slice(text).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Sends `call` and returns the body of a 2xx answer, retrying as its
    /// policy allows.
    pub(crate) async fn send(&self, call: &Call<'_>) -> ClientResult<Zeroizing<Vec<u8>>> {
        let mut attempt = 0u32;
        loop {
            let error = match self.send_once(call).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            };
            if attempt >= self.inner.max_retries || !may_retry(&error, call.retry) {
                return Err(error);
            }
            rt::sleep(Duration::from_millis(100 << attempt.min(6))).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, call: &Call<'_>) -> ClientResult<Zeroizing<Vec<u8>>> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| ClientError::Protocol("base URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(call.path);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .bearer_auth(self.inner.token.expose_secret());
        request = request.timeout(self.inner.timeout + call.extra_timeout);
        if let Some(token) = call.lease_token {
            let mut value = HeaderValue::from_str(token.expose_secret())
                .map_err(|_| ClientError::Protocol("lease token is not a header value".into()))?;
            value.set_sensitive(true);
            request = request.header(HeaderName::from_static(LEASE_TOKEN_HEADER), value);
        }
        if let Some(token) = call.fencing_token {
            request = request.header(HeaderName::from_static(FENCING_TOKEN_HEADER), token);
        }
        if let Some(body) = &call.body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|e| ClientError::transport(&e))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::transport(&e))?;
        let body = Zeroizing::new(bytes.to_vec());
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(ApiError::from_body(status, &body).into())
        }
    }
}

fn may_retry(error: &ClientError, retry: Retry) -> bool {
    match (error, retry) {
        (ClientError::Transport { sent: false, .. }, _) => true,
        (ClientError::Transport { .. }, Retry::Idempotent) => true,
        (ClientError::Api(e), Retry::Idempotent) => matches!(e.status, 502..=504),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ClientError {
        ApiError::from_body(status, b"").into()
    }

    #[test]
    fn retry_policy_of_design_8() {
        let unsent = ClientError::Transport {
            message: String::new(),
            sent: false,
        };
        let sent = ClientError::Transport {
            message: String::new(),
            sent: true,
        };
        // Never sent: always safe to send again.
        assert!(may_retry(&unsent, Retry::UnsentOnly));
        assert!(may_retry(&unsent, Retry::Idempotent));
        // Possibly applied: only an idempotent call is repeated.
        assert!(!may_retry(&sent, Retry::UnsentOnly));
        assert!(may_retry(&sent, Retry::Idempotent));
        assert!(may_retry(&api(503), Retry::Idempotent));
        assert!(!may_retry(&api(503), Retry::UnsentOnly));
        // A vault's verdict is final.
        for status in [400, 401, 403, 404, 409, 413, 423, 429, 500] {
            assert!(!may_retry(&api(status), Retry::Idempotent), "{status}");
        }
    }

    #[test]
    fn foreign_error_bodies_get_a_code_from_the_status() {
        let e = ApiError::from_body(502, b"<html>bad gateway</html>");
        assert_eq!((e.status, e.code.as_str()), (502, "internal"));
        let e = ApiError::from_body(404, b"");
        assert_eq!(e.code, "not_found");
        let body = br#"{"error":{"code":"version_conflict","message":"m","current_version":4}}"#;
        let e = ApiError::from_body(409, body);
        assert_eq!(
            (e.code.as_str(), e.current_version),
            ("version_conflict", Some(4))
        );
    }
}

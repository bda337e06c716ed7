//! The `aws-kms` master-key provider: a symmetric KMS key that wraps by
//! `Encrypt` and unwraps by `Decrypt`; the master key never leaves KMS.
//!
//! Parameters: the key id, ARN or alias (`alias/sealvault`), the region
//! (else the usual AWS sources), and an endpoint override (`endpoint` in the
//! config, else `AWS_ENDPOINT_URL_KMS`). Credentials come from the default
//! AWS chain: environment, profile, web identity (IRSA), ECS or IMDS.
//!
//! Binding (DESIGN §5): the encryption context is one pair,
//! `{"sealvault:aad": base64(aad)}` (standard alphabet, padded), where `aad`
//! is exactly the byte string the local providers authenticate
//! (`"sealvault/v1/dk" | lp(mk_id) | lp(user_id) | lp(key_id)`). KMS refuses
//! to decrypt under any other context, so a wrapped key moved to another
//! user or id does not open; CloudTrail logs the context with every call.
//!
//! Errors: `InvalidCiphertextException` (wrong context or a damaged blob) is
//! [`KeyError::Unwrap`]; anything else (unreachable, timed out, key
//! disabled, deleted or access denied) is [`KeyError::Unavailable`] with the
//! error code as reason. Calls time out after a few seconds with at most two
//! attempts, so a request fails closed quickly; the client is built on
//! first use and reused, so the provider recovers when KMS answers again.
//!
//! Security: the plaintext key is sent to KMS over TLS (rustls, ring) and
//! the answer is copied into a zeroizing buffer; the SDK's own request and
//! response buffers are not zeroized (they are freed after the call).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use base64::Engine;
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::provider::{KeyError, MasterKeyProvider};

/// The encryption-context key that carries base64 of the AAD.
pub const CONTEXT_KEY: &str = "sealvault:aad";

/// Which KMS key, where.
#[derive(Debug, Clone)]
pub struct KmsSettings {
    /// Key id, key ARN, alias name (`alias/…`) or alias ARN.
    pub key_id: String,
    /// Region; `None` for the default chain (`AWS_REGION`, profile, IMDS).
    pub region: Option<String>,
    /// Endpoint override; `None` for `AWS_ENDPOINT_URL_KMS` or AWS's own.
    pub endpoint: Option<String>,
}

/// The `aws-kms` provider.
pub struct KmsProvider {
    id: String,
    settings: KmsSettings,
    client: OnceCell<Client>,
}

impl fmt::Debug for KmsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsProvider")
            .field("id", &self.id)
            .field("settings", &self.settings)
            .finish()
    }
}

fn context(aad: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(aad)
}

impl KmsProvider {
    /// A provider; the AWS client is built on first use.
    pub fn new(id: &str, settings: KmsSettings) -> Self {
        Self {
            id: id.to_owned(),
            settings,
            client: OnceCell::new(),
        }
    }

    async fn build_client(&self) -> Client {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(10))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(2));
        if let Some(region) = &self.settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        let endpoint = self
            .settings
            .endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_KMS").ok());
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        Client::new(&loader.load().await)
    }

    async fn client(&self) -> &Client {
        self.client.get_or_init(|| self.build_client()).await
    }

    fn fail<E: ProvideErrorMetadata>(&self, op: &str, e: &SdkError<E>) -> KeyError {
        let reason = match e {
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("unknown error");
                if code == "InvalidCiphertextException" {
                    return KeyError::Unwrap(self.id.clone());
                }
                format!("KMS {op}: {code}")
            }
            SdkError::TimeoutError(_) => format!("KMS {op}: timed out"),
            SdkError::DispatchFailure(_) => format!("KMS {op}: endpoint unreachable"),
            _ => format!("KMS {op}: no valid answer"),
        };
        KeyError::Unavailable {
            id: self.id.clone(),
            reason,
        }
    }

    fn empty(&self, op: &str) -> KeyError {
        KeyError::Unavailable {
            id: self.id.clone(),
            reason: format!("KMS {op}: empty answer"),
        }
    }
}

#[async_trait]
impl MasterKeyProvider for KmsProvider {
    fn id(&self) -> &str {
        &self.id
    }

    async fn wrap(&self, key: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
        let out = self
            .client()
            .await
            .encrypt()
            .key_id(&self.settings.key_id)
            .plaintext(Blob::new(key.to_vec()))
            .encryption_context(CONTEXT_KEY, context(aad))
            .send()
            .await
            .map_err(|e| self.fail("Encrypt", &e))?;
        out.ciphertext_blob
            .map(Blob::into_inner)
            .ok_or_else(|| self.empty("Encrypt"))
    }

    async fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let out = self
            .client()
            .await
            .decrypt()
            .key_id(&self.settings.key_id)
            .ciphertext_blob(Blob::new(wrapped.to_vec()))
            .encryption_context(CONTEXT_KEY, context(aad))
            .send()
            .await
            .map_err(|e| self.fail("Decrypt", &e))?;
        out.plaintext
            .map(|blob| Zeroizing::new(blob.into_inner()))
            .ok_or_else(|| self.empty("Decrypt"))
    }
}

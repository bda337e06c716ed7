//! Wire types shared by the vault server and the SDK clients (DESIGN §7,
//! §9): the error body and its status table, and the credential config.

mod api;
mod config;
mod error_body;

pub use api::*;
pub use config::{
    Concurrency, CredentialConfig, Expiration, PersistenceFlags, ProxyConfig, TfaConfig, TfaMethod,
};
pub use error_body::{ErrorBody, ErrorCode, ErrorDetail};

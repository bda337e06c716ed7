//! # SealVault for JavaScript
//!
//! wasm-bindgen bindings of the `sealvault` core, shipped as the npm
//! package `sealvault` (built by `bindings-js/build.sh`). This crate holds
//! no logic of its own: it converts JavaScript values to core types, calls
//! the core, and maps every [`sealvault::Error`] once, in [`error`], to a
//! `SealVaultError` with the core's stable `.code`. The vault client
//! (`Client`, `Session`) wraps `sealvault::client`, which does the HTTP,
//! sealing and leases over `fetch`.
//!
//! Secrets (data keys, envelope keys, opened plaintext) stay in wasm
//! memory inside objects that wipe them when freed (`free()`,
//! `[Symbol.dispose]`, or the finalizer); their `toString()` is redacted.

mod bytes;
mod client;
mod convert;
mod envelope;
mod error;
mod keys;
mod totp;

pub use bytes::SecretBytes;
pub use client::{JsClient, JsCredential, JsSession, SecretText};
pub use keys::{JsDataKey, JsEnvelopeKey};
pub use totp::{JsHotp, JsTotp};

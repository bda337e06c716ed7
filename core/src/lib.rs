//! # SealVault core
//!
//! Client-side encryption for browser-automation credentials: committed
//! AES-256-GCM envelopes bound to their header, data keys, state keys,
//! TOTP, and the wire types the vault and the SDKs share.
//!
//! The crate is sans-IO: no sockets, files or clocks. Randomness comes from
//! a userspace CSPRNG seeded by the OS (also on `wasm32-unknown-unknown`).
//!
//! ```
//! use sealvault::{Context, DataKey, ItemInfo, open, seal_item};
//! let dk = DataKey::generate();
//! let config = serde_json::json!({"name": "acme"});
//! let info = ItemInfo::credential("usr_1", "acme", 1, &config);
//! let envelope = seal_item(&dk, &info, &Context::new(), b"secret")?;
//! let plaintext = open(&dk, &envelope, &info.context()?)?;
//! assert_eq!(&plaintext[..], b"secret");
//! # Ok::<(), sealvault::Error>(())
//! ```

pub mod browser_state;
#[cfg(feature = "client")]
pub mod client;
pub mod context;
pub mod encoding;
pub mod envelope;
pub mod error;
#[cfg(feature = "hazmat")]
pub mod hazmat;
pub mod item;
pub mod keys;
pub mod redact;
pub mod totp;
pub mod wire;

pub use browser_state::BrowserState;
pub use context::Context;
pub use envelope::{Inspection, envelope_key, inspect, open, open_with_envelope_key, seal};
pub use error::{Error, Result};
pub use item::{ItemInfo, Kind, config_hash, seal_item, state_key};
pub use keys::{DataKey, EnvelopeKey, KeyId};
pub use redact::Redactor;
pub use totp::{CodeWithValidity, Hotp, Totp};
pub use zeroize::Zeroizing;

/// The README's Rust blocks, compiled and run as doctests (the client
/// block needs the `client` feature, which `make test` enables).
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

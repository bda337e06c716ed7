//! One-time passwords: TOTP (RFC 6238), HOTP (RFC 4226) and Steam Guard.
//!
//! # Use case
//! A login robot holds a credential's TOTP seed (sealed, as an
//! `otpauth://` URI) and must type the site's current code, ideally one
//! that will not expire while the form is submitted. A server may also
//! check codes, refusing a step it has already accepted.
//!
//! # About
//! [`Totp`] and [`Hotp`] are built from a [`Secret`] (raw bytes, or base32
//! as users paste it: any case, with or without `=` padding, with spaces or
//! hyphens), or parsed from a Key Uri Format URI (`otpauth://totp/…`,
//! `otpauth://hotp/…`) and written back with `to_uri`. Steam Guard codes
//! (five characters over `23456789BCDFGHJKMNPQRTVWXY`) come from
//! `encoder=steam`, `otpauth://steam/…` or `steam://BASE32` URIs, or
//! [`Totp::steam`].
//!
//! The core has no clock: every method takes the Unix time in seconds as
//! an `i64`, so a binding passes `SystemTime::now()` (or `Date.now()`).
//!
//! # Parameters
//! - algorithm: [`Algorithm`] SHA1 (default), SHA256 or SHA512;
//! - digits: 6 to 10 (Steam Guard: always 5 characters);
//! - period: any number of seconds from 1 (default 30);
//! - `t0`: the Unix time at which step 0 starts (default 0);
//! - secret: at least 80 bits ([`MIN_SECRET_BYTES`]).
//!
//! # Errors
//! Everything returns [`Error::InvalidTotp`](crate::Error::InvalidTotp)
//! (code `invalid_totp`): invalid base32, a secret under 80 bits, a bad or
//! missing URI parameter, a digit count outside 6..=10, a zero period, a
//! time before `t0`, a verification window above [`MAX_WINDOW`].
//!
//! # Panics
//! None: every input, including any `i64` time and `t0`, yields a code or
//! an error (checked by `core/tests/totp_props.rs`).
//!
//! # Security
//! - A [`Secret`] is not `Clone`, is wiped on drop, compares in constant
//!   time, and its `Debug` prints `[redacted]`; `to_uri` returns a
//!   [`Zeroizing`](zeroize::Zeroizing) string. Error messages never quote a
//!   secret, a URI or a code.
//! - `verify` compares every candidate code in constant time and reports
//!   the matched step: a verifier must remember it and refuse that step (and
//!   earlier ones) afterwards, or a seen code can be replayed within its
//!   window.
//! - The HMAC state is keyed once per generator and cloned per code; it is
//!   as secret as the seed, so it comes from `hmac` 0.13 / `sha1` 0.11 /
//!   `sha2` 0.11 built with `zeroize`, which wipe it and every clone on drop.
//! - 80-bit secrets are accepted because sites issue them; RFC 4226 asks
//!   for 128 bits.
//!
//! # Example
//! ```
//! use sealvault::totp::Totp;
//!
//! let totp = Totp::from_uri(
//!     "otpauth://totp/ACME%20Co:john@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co",
//! )?;
//! assert_eq!(totp.issuer(), Some("ACME Co"));
//! let now = 1_700_000_000; // a binding passes the real clock
//! let code = totp.at(now)?;
//! assert_eq!(code.len(), 6);
//! assert_eq!(totp.verify(&code, now + 30, 1)?, Some(totp.step(now)?));
//!
//! // A code that stays valid for at least 10 more seconds:
//! let ready = totp.code_with_validity(10, now)?;
//! assert!(ready.wait_secs == 0 || ready.valid_for_secs == 30);
//! # Ok::<(), sealvault::Error>(())
//! ```

mod algorithm;
mod code;
mod generator;
mod hotp;
mod label;
mod secret;
pub mod steam;
mod timed;
mod uri;

pub use algorithm::Algorithm;
pub use code::{MAX_DIGITS, MIN_DIGITS};
pub use hotp::Hotp;
pub use secret::{MIN_SECRET_BYTES, Secret};
pub use timed::{CodeWithValidity, DEFAULT_PERIOD, Totp};

/// The largest verification window (steps each side for TOTP, look-ahead
/// for HOTP): bounds the work one `verify` call can cause.
pub const MAX_WINDOW: u32 = 100;

/// The error of this module; the message must never contain secret input.
fn invalid(message: impl Into<String>) -> crate::Error {
    crate::Error::InvalidTotp(message.into())
}

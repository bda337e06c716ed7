//! The HMAC hash of a one-time-password generator.

use core::fmt;
use core::str::FromStr;

use totp_hmac::{Hmac, KeyInit, Mac};
use totp_sha1::Sha1;
use totp_sha2::{Sha256, Sha512};

use super::invalid;
use crate::error::{Error, Result};

/// The hash under HMAC: RFC 4226 uses SHA-1, RFC 6238 adds SHA-256 and
/// SHA-512.
///
/// Parsed case-insensitively from `"SHA1"`, `"SHA256"`, `"SHA512"` (a hyphen,
/// as in `"SHA-256"`, is also accepted); displayed in the upper-case form the
/// Key Uri Format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// HMAC-SHA-1, the default and by far the most common.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256` or `SHA512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }

    /// HMAC keyed with `key` under this hash, ready for any counter.
    pub(crate) fn keyed(self, key: &[u8]) -> Keyed {
        match self {
            Algorithm::Sha1 => Keyed::Sha1(keyed(key)),
            Algorithm::Sha256 => Keyed::Sha256(keyed(key)),
            Algorithm::Sha512 => Keyed::Sha512(keyed(key)),
        }
    }
}

/// A pre-keyed HMAC state (the inner and outer hashes after the key block).
/// As secret as the key: these crate versions wipe it on drop (`zeroize`),
/// and so is every clone taken per code.
pub(crate) enum Keyed {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl Keyed {
    /// RFC 4226 §5.3 dynamic truncation of `HMAC(key, counter)`: a 31-bit
    /// number from which codes are formed.
    pub(crate) fn truncated(&self, counter: u64) -> u32 {
        let message = counter.to_be_bytes();
        match self {
            Keyed::Sha1(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
            Keyed::Sha256(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
            Keyed::Sha512(mac) => {
                dynamic_truncation(&mac.clone().chain_update(message).finalize().into_bytes())
            }
        }
    }
}

impl fmt::Debug for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyed([redacted])")
    }
}

fn keyed<M: Mac + KeyInit>(key: &[u8]) -> M {
    <M as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

/// RFC 4226 §5.3: four bytes at the offset named by the low nibble of the last
/// byte, with the top bit cleared.
fn dynamic_truncation(digest: &[u8]) -> u32 {
    let offset = usize::from(digest.last().copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    if let Some(bytes) = digest.get(offset..offset + 4) {
        word.copy_from_slice(bytes);
    }
    u32::from_be_bytes(word) & 0x7fff_ffff
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        let name = name.trim();
        let is = |want: &str| {
            name.eq_ignore_ascii_case(want)
                || name.eq_ignore_ascii_case(&want.replace("SHA", "SHA-"))
        };
        if is("SHA1") {
            Ok(Algorithm::Sha1)
        } else if is("SHA256") {
            Ok(Algorithm::Sha256)
        } else if is("SHA512") {
            Ok(Algorithm::Sha512)
        } else {
            Err(invalid(
                "unknown algorithm (expected SHA1, SHA256 or SHA512)",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively() {
        for (text, want) in [
            ("SHA1", Algorithm::Sha1),
            ("sha1", Algorithm::Sha1),
            ("Sha-256", Algorithm::Sha256),
            ("sha512", Algorithm::Sha512),
        ] {
            assert_eq!(text.parse::<Algorithm>(), Ok(want));
        }
        assert!("MD5".parse::<Algorithm>().is_err());
        assert!("".parse::<Algorithm>().is_err());
    }

    #[test]
    fn truncation_matches_rfc_4226_example() {
        // RFC 4226 §5.4: the worked example digest and its value 0x50ef7f19.
        let digest = hex::decode("1f8698690e02ca16618550ef7f19da8e945b555a").unwrap_or_default();
        assert_eq!(dynamic_truncation(&digest), 0x50ef_7f19);
    }
}

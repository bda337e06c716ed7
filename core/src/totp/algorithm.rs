//! The HMAC hash of a one-time-password generator.

use core::fmt;
use core::str::FromStr;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

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

    /// RFC 4226 §5.3 dynamic truncation of `HMAC(key, counter)`: a 31-bit
    /// number from which codes are formed.
    pub(crate) fn truncated(self, key: &[u8], counter: u64) -> Result<u32> {
        let message = counter.to_be_bytes();
        match self {
            Algorithm::Sha1 => mac::<Hmac<Sha1>>(key, &message),
            Algorithm::Sha256 => mac::<Hmac<Sha256>>(key, &message),
            Algorithm::Sha512 => mac::<Hmac<Sha512>>(key, &message),
        }
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Result<u32> {
    // HMAC takes keys of any length; the error arm is unreachable in practice.
    let mut mac = <M as Mac>::new_from_slice(key).map_err(|_| invalid("HMAC refused the key"))?;
    mac.update(message);
    Ok(dynamic_truncation(&mac.finalize().into_bytes()))
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

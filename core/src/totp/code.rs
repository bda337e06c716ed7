//! Turning the 31-bit HOTP value into the characters a user types, and
//! comparing typed codes in constant time.

use subtle::ConstantTimeEq;

use super::{invalid, steam};
use crate::error::Result;

/// Fewest decimal digits accepted (RFC 4226 §5.3).
pub const MIN_DIGITS: u32 = 6;
/// Most decimal digits accepted: the 31-bit value has at most 10.
pub const MAX_DIGITS: u32 = 10;

/// How a code is written: decimal digits, or Steam Guard's five characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `value mod 10^digits`, zero-padded.
    Decimal(u32),
    /// Five characters over Steam's 26-letter alphabet.
    Steam,
}

/// A rendered code on the stack: up to ten ASCII characters.
pub(crate) struct Code {
    bytes: [u8; MAX_DIGITS as usize],
    len: usize,
}

impl Format {
    /// A decimal format with a checked digit count.
    pub(crate) fn decimal(digits: u32) -> Result<Self> {
        if (MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
            Ok(Format::Decimal(digits))
        } else {
            Err(invalid(format!(
                "digits must be {MIN_DIGITS} to {MAX_DIGITS}, got {digits}"
            )))
        }
    }

    /// The number of characters of a code.
    pub(crate) fn digits(self) -> u32 {
        match self {
            Format::Decimal(digits) => digits,
            Format::Steam => steam::CODE_LEN,
        }
    }

    /// Renders the truncated HMAC value.
    pub(crate) fn render(self, value: u32) -> Code {
        let mut code = Code {
            bytes: [0; MAX_DIGITS as usize],
            len: 0,
        };
        match self {
            Format::Decimal(digits) => {
                let mut rest = value;
                code.len = digits as usize;
                for slot in code.bytes[..code.len].iter_mut().rev() {
                    *slot = b'0' + (rest % 10) as u8;
                    rest /= 10;
                }
            }
            Format::Steam => code.len = steam::render(value, &mut code.bytes),
        }
        code
    }
}

impl Code {
    /// The characters as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The code as an owned string.
    pub(crate) fn to_string_owned(&self) -> String {
        self.as_bytes().iter().map(|&b| char::from(b)).collect()
    }

    /// Constant-time comparison with a typed code (whose length is public).
    pub(crate) fn matches(&self, typed: &[u8]) -> bool {
        self.as_bytes().ct_eq(typed).into()
    }
}

/// A typed code with the spaces and hyphens people put in it removed
/// (`"123 456"`), upper-cased for Steam's letters; refused when longer than
/// any code could be.
pub(crate) fn normalize_typed(code: &str) -> Option<([u8; MAX_DIGITS as usize], usize)> {
    let mut out = [0u8; MAX_DIGITS as usize];
    let mut len = 0;
    for byte in code.bytes().filter(|b| !matches!(b, b' ' | b'-')) {
        *out.get_mut(len)? = byte.to_ascii_uppercase();
        len += 1;
    }
    Some((out, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_pads_with_zeros() {
        let code = Format::Decimal(8).render(1_284_755_224);
        assert_eq!(code.as_bytes(), b"84755224");
        assert_eq!(Format::Decimal(10).render(7).as_bytes(), b"0000000007");
        assert_eq!(
            Format::Decimal(10).render(0x7fff_ffff).as_bytes(),
            b"2147483647"
        );
    }

    #[test]
    fn digit_range_is_checked() {
        assert!(Format::decimal(5).is_err());
        assert!(Format::decimal(11).is_err());
        assert!(Format::decimal(6).is_ok() && Format::decimal(10).is_ok());
    }

    #[test]
    fn typed_codes_are_normalized() {
        let (bytes, len) = normalize_typed("123 456").unwrap_or_default();
        assert_eq!(&bytes[..len], b"123456");
        assert!(normalize_typed("12345678901").is_none());
    }
}

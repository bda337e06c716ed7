//! The shared secret of a one-time-password generator, and base32 as users
//! paste it.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::invalid;
use crate::error::Result;

/// The shortest secret accepted: 80 bits (16 base32 characters), which some
/// sites still issue. RFC 4226 §4 asks for 128 and recommends 160.
pub const MIN_SECRET_BYTES: usize = 10;

/// RFC 4648 base32 alphabet.
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// An HOTP/TOTP shared secret (the key under HMAC).
///
/// Not `Clone`; wiped on drop; `Debug` prints `[redacted]`; `==` runs in
/// constant time. The bytes are reachable only through
/// [`Secret::expose_secret`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Secret {
    bytes: Vec<u8>,
}

impl Secret {
    /// Takes raw key bytes (at least [`MIN_SECRET_BYTES`]).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) when shorter than 80 bits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_length(bytes.len())?;
        Ok(Secret {
            bytes: bytes.to_vec(),
        })
    }

    /// Decodes base32 as users paste it: upper or lower case, with or
    /// without `=` padding, with spaces, tabs, newlines or hyphens anywhere.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a character outside
    /// the alphabet, padding in the middle, a length no encoder produces
    /// (1, 3 or 6 characters past a multiple of 8), or fewer than 80 bits.
    /// The message never quotes the input.
    pub fn from_base32(text: &str) -> Result<Self> {
        let bytes = decode_base32(text)?;
        check_length(bytes.len())?;
        Ok(Secret { bytes })
    }

    /// The raw key bytes. Keep the borrow short.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }

    /// The secret as unpadded upper-case base32, the form `otpauth://` URIs
    /// carry.
    pub fn to_base32(&self) -> Zeroizing<String> {
        encode_base32(&self.bytes)
    }

    /// The number of key bytes (not secret).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a secret has at least [`MIN_SECRET_BYTES`].
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

fn check_length(len: usize) -> Result<()> {
    if len < MIN_SECRET_BYTES {
        return Err(invalid(format!(
            "secret is {} bits; at least {} are required",
            len * 8,
            MIN_SECRET_BYTES * 8
        )));
    }
    Ok(())
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl ConstantTimeEq for Secret {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.bytes.as_slice().ct_eq(other.bytes.as_slice())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Secret {}

/// Decodes lenient base32 (see [`Secret::from_base32`]) into a buffer sized
/// once, so no partial copy of the key is left behind by reallocation.
fn decode_base32(text: &str) -> Result<Vec<u8>> {
    let symbols = base32_symbols(text)?;
    if matches!(symbols.len() % 8, 1 | 3 | 6) {
        return Err(invalid(
            "base32 secret has an impossible length (a character is missing or extra)",
        ));
    }
    let mut out = Vec::with_capacity(symbols.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &value in symbols.iter() {
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    buffer.zeroize();
    Ok(out)
}

/// The 5-bit values of a pasted base32 string, separators and trailing
/// padding removed.
fn base32_symbols(text: &str) -> Result<Zeroizing<Vec<u8>>> {
    let mut symbols = Zeroizing::new(Vec::with_capacity(text.len()));
    let mut padding = false;
    for byte in text.bytes() {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' | b'-' => continue,
            b'=' => padding = true,
            _ if padding => return Err(invalid("base32 secret has '=' padding before its end")),
            b'A'..=b'Z' => symbols.push(byte - b'A'),
            b'a'..=b'z' => symbols.push(byte - b'a'),
            b'2'..=b'7' => symbols.push(byte - b'2' + 26),
            _ => return Err(invalid("base32 secret has a character outside A-Z and 2-7")),
        }
    }
    Ok(symbols)
}

/// Unpadded upper-case base32.
fn encode_base32(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len().div_ceil(5) * 8));
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u64::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(buffer >> bits));
        }
    }
    if bits > 0 {
        out.push(symbol(buffer << (5 - bits)));
    }
    buffer.zeroize();
    out
}

fn symbol(value: u64) -> char {
    char::from(ALPHABET[(value & 31) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors_round_trip() {
        // RFC 4648 §10, without padding.
        for (plain, encoded) in [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(encode_base32(plain.as_bytes()).as_str(), encoded);
            assert_eq!(
                decode_base32(encoded).ok().as_deref(),
                Some(plain.as_bytes())
            );
        }
    }

    #[test]
    fn pasted_forms_decode_alike() {
        let want = decode_base32("JBSWY3DPEHPK3PXP").unwrap_or_default();
        for text in [
            "jbsw y3dp ehpk 3pxp",
            "JBSW-Y3DP-EHPK-3PXP",
            "JBSWY3DPEHPK3PXP======",
            " jbswy3dpehpk3pxp\n",
        ] {
            assert_eq!(decode_base32(text).ok(), Some(want.clone()), "{text}");
        }
    }

    #[test]
    fn refuses_bad_input_without_quoting_it() {
        for text in [
            "JBSWY3DPEHPK3PX1",
            "JBSW=Y3DP",
            "JBSWY3DPEHPK3PXPA",
            "ÄBSWY3DPEHPK3PXP",
        ] {
            let err = Secret::from_base32(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.starts_with("invalid totp"), "{text}: {err}");
            assert!(!err.contains(text), "{err}");
        }
        assert!(
            Secret::from_base32("JBSWY3DPEHPK3PX").is_err(),
            "75 bits is too short"
        );
        assert!(
            Secret::from_base32("JBSWY3DPEHPK3PXP").is_ok(),
            "80 bits is enough"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::from_bytes(b"12345678901234567890").ok();
        let shown = format!("{secret:?}");
        assert!(
            shown.contains("[redacted]") && !shown.contains("49"),
            "{shown}"
        );
    }
}

//! Steam Guard codes: RFC 6238 TOTP (HMAC-SHA-1, 30 s) written as five
//! characters over Steam's alphabet instead of decimal digits.

/// Steam's 26 code characters (no vowels, no look-alikes).
pub const ALPHABET: &[u8; 26] = b"23456789BCDFGHJKMNPQRTVWXY";

/// Characters in a Steam Guard code.
pub const CODE_LEN: u32 = 5;

/// The period Steam uses.
pub const PERIOD: u64 = 30;

/// Writes the code for a truncated HMAC value into `out`, least significant
/// character first, and returns its length.
pub(crate) fn render(value: u32, out: &mut [u8]) -> usize {
    let mut rest = value;
    let len = out.len().min(CODE_LEN as usize);
    for slot in &mut out[..len] {
        *slot = ALPHABET[(rest % 26) as usize];
        rest /= 26;
    }
    len
}

//! Envelope v1 byte layout (DESIGN §4, docs/FORMAT.md) and its strict parser.

use crate::context::{Context, MAX_CONTEXT_LEN};
use crate::error::{Error, Result};
use crate::keys::{KEY_ID_LEN, KeyId};

/// Magic bytes "SV".
pub const MAGIC: [u8; 2] = *b"SV";
/// Format version 1.
pub const VERSION: u8 = 0x01;
/// Suite 1: AES-256-GCM, HMAC/HKDF-SHA256, 256-bit key commitment.
pub const SUITE: u8 = 0x01;
/// Salt length.
pub const SALT_LEN: usize = 32;
/// GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// Commitment length.
pub const COMMITMENT_LEN: usize = 32;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Offset of the key id.
pub const KEY_ID_OFFSET: usize = 4;
/// Offset of the salt.
pub const SALT_OFFSET: usize = KEY_ID_OFFSET + KEY_ID_LEN;
/// Offset of the nonce.
pub const NONCE_OFFSET: usize = SALT_OFFSET + SALT_LEN;
/// Offset of the context length `L`.
pub const CONTEXT_LEN_OFFSET: usize = NONCE_OFFSET + NONCE_LEN;
/// Offset of the context.
pub const CONTEXT_OFFSET: usize = CONTEXT_LEN_OFFSET + 2;
/// Bytes an envelope has besides its context and ciphertext (114).
pub const OVERHEAD: usize = CONTEXT_OFFSET + COMMITMENT_LEN + TAG_LEN;

/// A parsed envelope: borrowed slices of the original bytes.
pub struct Parsed<'a> {
    /// The data key id named by the envelope.
    pub key_id: KeyId,
    /// The 12-byte GCM nonce.
    pub nonce: &'a [u8; NONCE_LEN],
    /// The decoded context.
    pub context: Context,
    /// `bytes[0 .. 66+L]`: magic through context.
    pub header_base: &'a [u8],
    /// `bytes[0 .. 98+L]`: the GCM associated data.
    pub aad: &'a [u8],
    /// The stored commitment.
    pub commitment: &'a [u8; COMMITMENT_LEN],
    /// The ciphertext without its tag.
    pub ciphertext: &'a [u8],
    /// The GCM tag.
    pub tag: &'a [u8; TAG_LEN],
}

/// Parses an envelope, checking structure only (no cryptography).
pub fn parse(bytes: &[u8]) -> Result<Parsed<'_>> {
    if bytes.len() < 4 {
        return Err(Error::MalformedEnvelope("shorter than the fixed header"));
    }
    if bytes[0..2] != MAGIC {
        return Err(Error::MalformedEnvelope("bad magic"));
    }
    if bytes[2] != VERSION || bytes[3] != SUITE {
        return Err(Error::UnsupportedVersion {
            version: bytes[2],
            suite: bytes[3],
        });
    }
    if bytes.len() < CONTEXT_OFFSET {
        return Err(Error::MalformedEnvelope("shorter than the fixed header"));
    }
    let context_len = usize::from(u16::from_be_bytes([
        bytes[CONTEXT_LEN_OFFSET],
        bytes[CONTEXT_LEN_OFFSET + 1],
    ]));
    if context_len > MAX_CONTEXT_LEN {
        return Err(Error::MalformedEnvelope("context length over 4096"));
    }
    if bytes.len() < OVERHEAD + context_len {
        return Err(Error::MalformedEnvelope("truncated"));
    }
    let base_end = CONTEXT_OFFSET + context_len;
    let aad_end = base_end + COMMITMENT_LEN;
    let tag_start = bytes.len() - TAG_LEN;
    Ok(Parsed {
        key_id: KeyId::from_slice(&bytes[KEY_ID_OFFSET..SALT_OFFSET])?,
        nonce: fixed(&bytes[NONCE_OFFSET..CONTEXT_LEN_OFFSET])?,
        context: Context::decode(&bytes[CONTEXT_OFFSET..base_end])?,
        header_base: &bytes[..base_end],
        aad: &bytes[..aad_end],
        commitment: fixed(&bytes[base_end..aad_end])?,
        ciphertext: &bytes[aad_end..tag_start],
        tag: fixed(&bytes[tag_start..])?,
    })
}

/// Writes the header base (magic .. context) for a new envelope.
pub fn write_header_base(
    out: &mut Vec<u8>,
    key_id: &KeyId,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
    context: &Context,
) -> Result<()> {
    let context_len = context.encoded_len();
    if context_len > MAX_CONTEXT_LEN {
        return Err(Error::InvalidContext(
            "encoded context longer than 4096 bytes",
        ));
    }
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(SUITE);
    out.extend_from_slice(key_id.as_bytes());
    out.extend_from_slice(salt);
    out.extend_from_slice(nonce);
    // Bounded by MAX_CONTEXT_LEN above.
    out.extend_from_slice(&(context_len as u16).to_be_bytes());
    context.encode_into(out)
}

fn fixed<const N: usize>(slice: &[u8]) -> Result<&[u8; N]> {
    slice
        .try_into()
        .map_err(|_| Error::MalformedEnvelope("truncated"))
}

//! The one seam to the AEAD: AES-256-GCM with a 12-byte nonce and a
//! 16-byte tag. An accelerated backend can replace this module without
//! touching the format.

use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce, Tag};

use crate::error::{Error, Result};
use crate::keys::KEY_LEN;

use super::header::{NONCE_LEN, TAG_LEN};

/// Encrypts `buf` in place and returns the tag.
pub fn seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN]> {
    let cipher = Aes256Gcm::new(key.into());
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, buf)
        .map_err(|_| Error::InvalidRequest("plaintext too large for AES-GCM".into()))?;
    Ok(tag.into())
}

/// Decrypts `buf` in place, verifying the tag; on failure `buf` holds no
/// plaintext (the caller wipes it).
pub fn open_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<()> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt_in_place_detached(Nonce::from_slice(nonce), aad, buf, Tag::from_slice(tag))
        .map_err(|_| Error::Integrity)
}

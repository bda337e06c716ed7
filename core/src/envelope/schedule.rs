//! The v1 key schedule (DESIGN §4):
//!
//! ```text
//! ek         = HMAC-SHA256(K, "sealvault/v1/ek" | header_base)
//! enc_key    = HKDF-Expand-SHA256(ek, "sealvault/v1/enc",    32)
//! commitment = HKDF-Expand-SHA256(ek, "sealvault/v1/commit", 32)
//! ```

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keys::{EnvelopeKey, KEY_LEN};

use super::header::COMMITMENT_LEN;

const EK_LABEL: &[u8] = b"sealvault/v1/ek";
const ENC_LABEL: &[u8] = b"sealvault/v1/enc";
const COMMIT_LABEL: &[u8] = b"sealvault/v1/commit";

/// The keys derived from one envelope key.
pub struct Derived {
    /// The AES-256-GCM key, wiped on drop.
    pub enc_key: Zeroizing<[u8; KEY_LEN]>,
    /// The key commitment (public once written).
    pub commitment: [u8; COMMITMENT_LEN],
}

/// HMAC-SHA256 of the concatenated `parts` under `key`, in a wiped buffer.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// HKDF-Expand-SHA256 of `prk` into `out` (at most 255 × 32 bytes).
#[cfg(feature = "hazmat")]
pub fn hkdf_expand(prk: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    let hkdf = Hkdf::<Sha256>::from_prk(prk)
        .map_err(|_| Error::InvalidRequest("HKDF-Expand: PRK shorter than 32 bytes".into()))?;
    hkdf.expand(info, out)
        .map_err(|_| Error::InvalidRequest("HKDF-Expand: output longer than 8160 bytes".into()))
}

/// `ek = HMAC-SHA256(K, "sealvault/v1/ek" | header_base)`.
pub fn envelope_key(key: &[u8; KEY_LEN], header_base: &[u8]) -> EnvelopeKey {
    EnvelopeKey::from_array(*hmac_sha256(key, &[EK_LABEL, header_base]))
}

/// Derives the encryption key and commitment from an envelope key.
pub fn derive(ek: &EnvelopeKey) -> Derived {
    let hkdf = Hkdf::<Sha256>::from_prk(ek.expose_secret())
        .unwrap_or_else(|_| unreachable!("a 32-byte PRK is long enough"));
    let mut enc_key = Zeroizing::new([0u8; KEY_LEN]);
    let mut commitment = [0u8; COMMITMENT_LEN];
    hkdf.expand(ENC_LABEL, enc_key.as_mut())
        .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF length"));
    hkdf.expand(COMMIT_LABEL, &mut commitment)
        .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF length"));
    Derived {
        enc_key,
        commitment,
    }
}

/// Compares a stored commitment with the derived one in constant time.
pub fn check_commitment(derived: &Derived, stored: &[u8; COMMITMENT_LEN]) -> Result<()> {
    if bool::from(derived.commitment.ct_eq(stored)) {
        Ok(())
    } else {
        Err(Error::CommitmentMismatch)
    }
}

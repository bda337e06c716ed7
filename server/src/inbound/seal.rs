//! Codes at rest: AES-256-GCM under the vault's inbound key, the row's
//! identity bound as associated data, so a sealed code moved to another
//! row, user or credential does not open.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::keys::VaultKey;

/// What a sealed row holds.
#[derive(Default, Serialize, Deserialize)]
pub struct Sealed {
    /// The code.
    pub code: Option<String>,
    /// The magic link.
    pub link: Option<String>,
}

impl Drop for Sealed {
    fn drop(&mut self) {
        self.code.zeroize();
        self.link.zeroize();
    }
}

/// Sealing or opening failed (a corrupt or moved row).
#[derive(Debug, thiserror::Error)]
#[error("sealed code does not open")]
pub struct SealError;

const NONCE: usize = 12;

fn aad(id: &str, user: &str, item: Option<&str>) -> Vec<u8> {
    let mut aad = b"sealvault/v1/inbound-code".to_vec();
    for part in [id, user, item.unwrap_or("")] {
        aad.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// `nonce | AES-GCM(key, json(sealed), aad(id, user, item))`.
pub fn seal(
    key: &VaultKey,
    id: &str,
    user: &str,
    item: Option<&str>,
    sealed: &Sealed,
) -> Result<Vec<u8>, SealError> {
    let plain = Zeroizing::new(serde_json::to_vec(sealed).map_err(|_| SealError)?);
    let mut nonce = [0u8; NONCE];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(key.expose_secret()).map_err(|_| SealError)?;
    let aad = aad(id, user, item);
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .map_err(|_| SealError)?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Opens what [`seal`] made for the same row.
pub fn open(
    key: &VaultKey,
    id: &str,
    user: &str,
    item: Option<&str>,
    bytes: &[u8],
) -> Result<Sealed, SealError> {
    if bytes.len() < NONCE {
        return Err(SealError);
    }
    let (nonce, ct) = bytes.split_at(NONCE);
    let cipher = Aes256Gcm::new_from_slice(key.expose_secret()).map_err(|_| SealError)?;
    let aad = aad(id, user, item);
    let plain = Zeroizing::new(
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| SealError)?,
    );
    serde_json::from_slice(&plain).map_err(|_| SealError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_for_its_row() {
        let key = VaultKey::from_bytes([7; 32]);
        let sealed = Sealed {
            code: Some("482913".into()),
            link: None,
        };
        let bytes = seal(&key, "tfa_1", "usr_a", Some("acme"), &sealed).expect("seal");
        assert!(!bytes.windows(6).any(|w| w == b"482913"));
        let opened = open(&key, "tfa_1", "usr_a", Some("acme"), &bytes).expect("open");
        assert_eq!(opened.code.as_deref(), Some("482913"));
        assert!(open(&key, "tfa_1", "usr_b", Some("acme"), &bytes).is_err());
        assert!(open(&key, "tfa_2", "usr_a", Some("acme"), &bytes).is_err());
        assert!(open(&key, "tfa_1", "usr_a", None, &bytes).is_err());
    }
}

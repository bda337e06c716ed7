//! Key types: key ids, data keys, envelope keys.
//!
//! # Security
//! Secret key types are not `Clone`, are zeroized on drop, compare in
//! constant time, and print `[redacted]` in `Debug`. Raw bytes come out only
//! through `expose_secret`. A [`KeyId`] is public and prints as hex.

use std::fmt;

use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::encoding;
use crate::error::{Error, Result};

/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 16;
/// Length of every symmetric key in bytes.
pub const KEY_LEN: usize = 32;

/// The public 16-byte identifier of a data key; lowercase hex in JSON.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// Wraps 16 raw bytes.
    pub const fn new(bytes: [u8; KEY_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses raw bytes, which must be exactly 16.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| Error::InvalidKey("key id must be 16 bytes"))
    }

    /// Parses 32 hex digits (either case).
    pub fn from_hex(hex_id: &str) -> Result<Self> {
        let mut out = [0u8; KEY_ID_LEN];
        hex::decode_to_slice(hex_id, &mut out)
            .map_err(|_| Error::InvalidKey("key id must be 32 hex digits"))?;
        Ok(Self(out))
    }

    /// A fresh random key id.
    pub fn random() -> Self {
        let mut id = [0u8; KEY_ID_LEN];
        rand::rngs::OsRng.fill_bytes(&mut id);
        Self(id)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl std::str::FromStr for KeyId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::from_hex(s)
    }
}

impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        KeyId::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// 32 secret bytes that wipe themselves.
#[derive(Zeroize, ZeroizeOnDrop)]
struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    fn from_slice(bytes: &[u8], what: &'static str) -> Result<Self> {
        let mut key = SecretKey([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(Error::InvalidKey(what));
        }
        key.0.copy_from_slice(bytes);
        Ok(key)
    }

    fn from_b64(key_b64: &str, what: &'static str) -> Result<Self> {
        let raw =
            Zeroizing::new(encoding::b64_decode(key_b64).map_err(|_| Error::InvalidKey(what))?);
        Self::from_slice(&raw, what)
    }
}

/// A user's data key (or a credential's state key, which has the same
/// shape and carries its data key's id): 32 secret bytes and a public id.
///
/// Not `Clone`; zeroized on drop; constant-time `==`; redacted `Debug`.
#[derive(ZeroizeOnDrop)]
pub struct DataKey {
    #[zeroize(skip)]
    id: KeyId,
    key: SecretKey,
}

impl DataKey {
    /// A fresh random key for offline use: the vault does not know it, so
    /// envelopes sealed under it cannot be stored there.
    pub fn generate() -> Self {
        let mut key = SecretKey([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut key.0);
        Self {
            id: KeyId::random(),
            key,
        }
    }

    /// A key from a 16-byte id and 32 key bytes.
    pub fn from_bytes(key_id: &[u8], key: &[u8]) -> Result<Self> {
        Ok(Self {
            id: KeyId::from_slice(key_id)?,
            key: SecretKey::from_slice(key, "data key must be 32 bytes")?,
        })
    }

    /// A key as the vault API returns it: hex id, unpadded base64url key.
    pub fn from_api(key_id_hex: &str, key_b64: &str) -> Result<Self> {
        Ok(Self {
            id: KeyId::from_hex(key_id_hex)?,
            key: SecretKey::from_b64(key_b64, "data key must be 32 bytes of base64url")?,
        })
    }

    pub(crate) fn with_id(id: KeyId, key: [u8; KEY_LEN]) -> Self {
        Self {
            id,
            key: SecretKey(key),
        }
    }

    /// The public key id.
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The raw key bytes. Keep the borrow short and never log it.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.key.0
    }
}

impl PartialEq for DataKey {
    fn eq(&self, other: &Self) -> bool {
        let same_key: bool = self.key.0.ct_eq(&other.key.0).into();
        same_key & (self.id == other.id)
    }
}

impl Eq for DataKey {}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("key_id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The key of one envelope (DESIGN §4): opens exactly that envelope.
///
/// Not `Clone`; zeroized on drop; constant-time `==`; redacted `Debug`.
#[derive(ZeroizeOnDrop)]
pub struct EnvelopeKey {
    key: SecretKey,
}

impl EnvelopeKey {
    /// An envelope key from 32 raw bytes.
    pub fn from_bytes(key: &[u8]) -> Result<Self> {
        Ok(Self {
            key: SecretKey::from_slice(key, "envelope key must be 32 bytes")?,
        })
    }

    /// An envelope key as the vault API returns it (unpadded base64url).
    pub fn from_api(key_b64: &str) -> Result<Self> {
        Ok(Self {
            key: SecretKey::from_b64(key_b64, "envelope key must be 32 bytes of base64url")?,
        })
    }

    pub(crate) fn from_array(key: [u8; KEY_LEN]) -> Self {
        Self {
            key: SecretKey(key),
        }
    }

    /// The raw key bytes. Keep the borrow short and never log it.
    pub fn expose_secret(&self) -> &[u8; KEY_LEN] {
        &self.key.0
    }
}

impl PartialEq for EnvelopeKey {
    fn eq(&self, other: &Self) -> bool {
        self.key.0.ct_eq(&other.key.0).into()
    }
}

impl Eq for EnvelopeKey {}

impl fmt::Debug for EnvelopeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvelopeKey([redacted])")
    }
}

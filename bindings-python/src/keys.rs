//! `DataKey` and `state_key`.

use pyo3::prelude::*;

use crate::buffer::Bytes;
use crate::error::Result;

/// A data key (or a credential's state key): 32 secret bytes owned by Rust
/// (zeroized when garbage-collected) and a public 16-byte id.
#[pyclass(module = "sealvault._native", frozen)]
pub struct DataKey {
    pub(crate) inner: std::sync::Arc<sealvault::DataKey>,
}

#[pymethods]
impl DataKey {
    /// A fresh random key, for offline use only: the vault does not know it.
    #[staticmethod]
    fn generate() -> Self {
        Self {
            inner: sealvault::DataKey::generate().into(),
        }
    }

    /// A key from a 16-byte id and 32 key bytes (any bytes-like objects).
    #[staticmethod]
    fn from_bytes(key_id: &Bound<'_, PyAny>, key: &Bound<'_, PyAny>) -> Result<Self> {
        let key_id = Bytes::extract(key_id, "key_id")?.open_or_err()?;
        let key = Bytes::extract(key, "key")?.open_or_err()?;
        Ok(Self {
            inner: sealvault::DataKey::from_bytes(key_id.as_slice(), key.as_slice())?.into(),
        })
    }

    /// A key as the vault API returns it: hex id, unpadded base64url key.
    #[staticmethod]
    fn from_api(key_id_hex: &str, key_b64: &str) -> Result<Self> {
        Ok(Self {
            inner: sealvault::DataKey::from_api(key_id_hex, key_b64)?.into(),
        })
    }

    /// The public key id, lowercase hex.
    #[getter]
    fn key_id(&self) -> String {
        self.inner.key_id().to_hex()
    }

    /// Constant-time comparison of id and key bytes.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<DataKey>()
            .is_ok_and(|other| *self.inner == *other.get().inner)
    }

    fn __repr__(&self) -> String {
        format!("DataKey(key_id='{}', key=[redacted])", self.inner.key_id())
    }
}

/// The state key of one credential, derived from the data key; it carries
/// the data key's id.
#[pyfunction]
pub fn state_key(dk: &DataKey, user: &str, item: &str) -> Result<DataKey> {
    Ok(DataKey {
        inner: sealvault::state_key(&dk.inner, user, item)?.into(),
    })
}

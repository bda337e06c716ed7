//! `DataKey` and `EnvelopeKey`: secret keys that stay in wasm memory.

use sealvault::{DataKey, EnvelopeKey};
use wasm_bindgen::prelude::*;

use crate::convert::secret_bytes;
use crate::error::{Result, core};

/// A user's data key (or a state key): 32 secret bytes and a public id.
/// Wiped on `free()`, `[Symbol.dispose]` or finalization.
#[wasm_bindgen(js_name = DataKey)]
pub struct JsDataKey {
    pub(crate) inner: DataKey,
}

#[wasm_bindgen(js_class = DataKey)]
impl JsDataKey {
    /// A fresh random key with a random id (offline use only: the vault
    /// does not know such a key).
    pub fn generate() -> JsDataKey {
        JsDataKey {
            inner: DataKey::generate(),
        }
    }

    /// A key from its 16-byte id and 32 key bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(
        #[wasm_bindgen(js_name = keyId)] key_id: &[u8],
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] key: JsValue,
    ) -> Result<JsDataKey> {
        let key = secret_bytes(&key, "key")?;
        Ok(JsDataKey {
            inner: core(DataKey::from_bytes(key_id, &key))?,
        })
    }

    /// A key as the vault returns it: `{"key_id": hex, "key": base64}`.
    #[wasm_bindgen(js_name = fromApi)]
    pub fn from_api(
        #[wasm_bindgen(js_name = keyIdHex)] key_id_hex: &str,
        #[wasm_bindgen(js_name = keyB64)] key_b64: &str,
    ) -> Result<JsDataKey> {
        Ok(JsDataKey {
            inner: core(DataKey::from_api(key_id_hex, key_b64))?,
        })
    }

    /// The public key id, lowercase hex.
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_hex()
    }

    /// `DataKey(<key id>)`: never the key bytes.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        format!("DataKey({}, [redacted])", self.inner.key_id())
    }

    /// The key id only, in `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.to_string_js()
    }
}

/// The per-envelope key the vault hands out on access (32 secret bytes).
/// Wiped on `free()`, `[Symbol.dispose]` or finalization.
#[wasm_bindgen(js_name = EnvelopeKey)]
pub struct JsEnvelopeKey {
    pub(crate) inner: EnvelopeKey,
}

#[wasm_bindgen(js_class = EnvelopeKey)]
impl JsEnvelopeKey {
    /// An envelope key from its 32 bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] key: JsValue,
    ) -> Result<JsEnvelopeKey> {
        let key = secret_bytes(&key, "key")?;
        Ok(JsEnvelopeKey {
            inner: core(EnvelopeKey::from_bytes(&key))?,
        })
    }

    /// An envelope key as the vault returns it (base64, `envelope_key`).
    #[wasm_bindgen(js_name = fromApi)]
    pub fn from_api(#[wasm_bindgen(js_name = keyB64)] key_b64: &str) -> Result<JsEnvelopeKey> {
        Ok(JsEnvelopeKey {
            inner: core(EnvelopeKey::from_api(key_b64))?,
        })
    }

    /// A copy of the 32 key bytes.
    pub fn expose(&self) -> Vec<u8> {
        self.inner.expose_secret().to_vec()
    }

    /// `[redacted]`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "EnvelopeKey([redacted])".into()
    }

    /// `[redacted]` in `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.to_string_js()
    }
}

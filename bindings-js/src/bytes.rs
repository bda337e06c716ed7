//! `SecretBytes`: opened plaintext and other secret bytes, wiped when freed.

use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

/// Secret bytes held in wasm memory and zeroized on `free()`,
/// `[Symbol.dispose]` or finalization. `toString()` and `toJSON()` print
/// `[redacted]`; `expose()` returns a copy the caller is responsible for.
#[wasm_bindgen]
pub struct SecretBytes {
    inner: Zeroizing<Vec<u8>>,
}

impl SecretBytes {
    /// Wraps bytes that must be wiped.
    pub fn new(inner: Zeroizing<Vec<u8>>) -> Self {
        Self { inner }
    }
}

#[wasm_bindgen]
impl SecretBytes {
    /// Number of bytes.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.inner.len()
    }

    /// A copy of the bytes (a `Uint8Array` the caller must wipe with
    /// `fill(0)` when done).
    pub fn expose(&self) -> Vec<u8> {
        self.inner.to_vec()
    }

    /// `[redacted]`: never the bytes.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "[redacted]".into()
    }

    /// `"[redacted]"` in `JSON.stringify`.
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        "[redacted]".into()
    }
}

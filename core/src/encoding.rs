//! Text encodings used on the wire: unpadded base64url for envelopes and
//! keys (DESIGN §4), with serde adapters.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes bytes as unpadded base64url.
pub fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url; padding or other alphabets are refused.
pub fn b64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(text)
}

/// Serde adapter: `Vec<u8>` as unpadded base64url
/// (`#[serde(with = "sealvault::encoding::b64")]`).
pub mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes bytes as unpadded base64url.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::b64_encode(bytes))
    }

    /// Deserializes unpadded base64url into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::b64_decode(&text)
            .map_err(|_| serde::de::Error::custom("invalid base64url (unpadded)"))
    }
}

/// Serde adapter: `Option<Vec<u8>>` as unpadded base64url or `null`.
pub mod b64_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes optional bytes as unpadded base64url or `null`.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&super::b64_encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes optional unpadded base64url.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.map(|t| super::b64_decode(&t))
            .transpose()
            .map_err(|_| serde::de::Error::custom("invalid base64url (unpadded)"))
    }
}

//! Encryption context: the authenticated, unencrypted key/value map of an
//! envelope.
//!
//! # Use case
//! Bind an envelope to where it belongs (user, item, kind, version, tenant…)
//! so that a ciphertext moved elsewhere no longer opens with the expected
//! context.
//!
//! # About
//! Entries are kept sorted by key bytes and encoded canonically
//! (DESIGN §4): for each entry `u16be len(key) | key | u16be len(value) |
//! value`. Keys are 1..=255 bytes of UTF-8, values 0..=1024 bytes, the
//! whole encoding at most 4096 bytes. Keys starting `sv:` are reserved for
//! [`crate::seal_item`].
//!
//! # Errors
//! Building or encoding an out-of-range context is
//! [`Error::InvalidContext`]; decoding anything but a canonical encoding
//! (truncated, trailing bytes, unsorted, duplicate, empty key, bad UTF-8,
//! oversize) is [`Error::MalformedEnvelope`].
//!
//! # Example
//! ```
//! let mut ctx = sealvault::Context::new();
//! ctx.insert("tenant", "t1").unwrap();
//! let bytes = ctx.encode().unwrap();
//! assert_eq!(sealvault::Context::decode(&bytes).unwrap(), ctx);
//! ```

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// Longest key, in bytes.
pub const MAX_KEY_LEN: usize = 255;
/// Longest value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;
/// Longest encoded context, in bytes.
pub const MAX_CONTEXT_LEN: usize = 4096;
/// Prefix of the keys only [`crate::seal_item`] may set.
pub const RESERVED_PREFIX: &str = "sv:";

/// A validated encryption context, sorted by key bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Context {
    entries: BTreeMap<String, String>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an entry, checking key and value sizes.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Result<()> {
        let (key, value) = (key.into(), value.into());
        if key.is_empty() {
            return Err(Error::InvalidContext("empty key"));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(Error::InvalidContext("key longer than 255 bytes"));
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::InvalidContext("value longer than 1024 bytes"));
        }
        self.entries.insert(key, value);
        Ok(())
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Entries in canonical (byte) order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the context has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first reserved (`sv:`) key, if any.
    pub fn first_reserved_key(&self) -> Option<&str> {
        self.entries
            .keys()
            .map(String::as_str)
            .find(|k| k.starts_with(RESERVED_PREFIX))
    }

    /// Length of the canonical encoding.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(|(k, v)| 4 + k.len() + v.len())
            .sum()
    }

    /// Appends the canonical encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.encoded_len() > MAX_CONTEXT_LEN {
            return Err(Error::InvalidContext(
                "encoded context longer than 4096 bytes",
            ));
        }
        for (k, v) in &self.entries {
            // Lengths were bounded by `insert`, so the casts cannot truncate.
            out.extend_from_slice(&(k.len() as u16).to_be_bytes());
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        Ok(())
    }

    /// The canonical encoding.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Decodes a canonical encoding, refusing anything else.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_CONTEXT_LEN {
            return Err(Error::MalformedEnvelope("context longer than 4096 bytes"));
        }
        let mut reader = Reader { bytes, pos: 0 };
        let mut entries = BTreeMap::new();
        let mut previous: Option<&str> = None;
        while !reader.done() {
            let key = reader.field(MAX_KEY_LEN)?;
            if key.is_empty() {
                return Err(Error::MalformedEnvelope("empty context key"));
            }
            let value = reader.field(MAX_VALUE_LEN)?;
            if previous.is_some_and(|p| p.as_bytes() >= key.as_bytes()) {
                return Err(Error::MalformedEnvelope(
                    "context keys unsorted or duplicate",
                ));
            }
            previous = Some(key);
            entries.insert(key.to_owned(), value.to_owned());
        }
        Ok(Self { entries })
    }

    /// Checks that every entry of `expected` is present here with the same
    /// value; extra entries here are allowed.
    pub fn check_contains(&self, expected: &Context) -> Result<()> {
        for (k, v) in expected.iter() {
            if self.get(k) != Some(v) {
                return Err(Error::ContextMismatch { key: k.to_owned() });
            }
        }
        Ok(())
    }

    /// Adds every entry of `other`, refusing a key present in both.
    pub(crate) fn merge_disjoint(&mut self, other: &Context) -> Result<()> {
        for (k, v) in other.iter() {
            if self.entries.contains_key(k) {
                return Err(Error::InvalidContext("duplicate context key"));
            }
            self.entries.insert(k.to_owned(), v.to_owned());
        }
        Ok(())
    }
}

impl TryFrom<BTreeMap<String, String>> for Context {
    type Error = Error;

    fn try_from(map: BTreeMap<String, String>) -> Result<Self> {
        let mut ctx = Context::new();
        for (k, v) in map {
            ctx.insert(k, v)?;
        }
        Ok(ctx)
    }
}

impl<'de> serde::Deserialize<'de> for Context {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Context::try_from(map).map_err(serde::de::Error::custom)
    }
}

/// A cursor over a context encoding.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(Error::MalformedEnvelope("context truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// One `u16be len | bytes` field of at most `max` bytes of UTF-8.
    fn field(&mut self, max: usize) -> Result<&'a str> {
        let len = self.take(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len > max {
            return Err(Error::MalformedEnvelope("context entry oversize"));
        }
        std::str::from_utf8(self.take(len)?)
            .map_err(|_| Error::MalformedEnvelope("context entry not UTF-8"))
    }
}

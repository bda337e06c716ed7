//! Token secrets and ids.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// A new secret: `prefix` + 256 random bits as unpadded base64url.
pub fn new_secret(prefix: &str) -> String {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(raw.as_mut_slice());
    format!(
        "{prefix}{}",
        sealvault::encoding::b64_encode(raw.as_slice())
    )
}

/// A new public id: `prefix` + 64 random bits as hex.
pub fn new_id(prefix: &str) -> String {
    let mut raw = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}{}", hex::encode(raw))
}

/// SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Checks an item allow-list: item ids, or a prefix followed by one `*`.
pub fn validate_patterns(patterns: &[String]) -> ApiResult<()> {
    for pattern in patterns {
        let prefix = pattern.strip_suffix('*').unwrap_or(pattern);
        let ok = if prefix.is_empty() {
            pattern == "*"
        } else {
            !prefix.contains('*') && sealvault::item::validate_item_id(prefix).is_ok()
        };
        if !ok {
            return Err(ApiError::invalid(format!(
                "item pattern {pattern:?} must be an item id, optionally ending in *"
            )));
        }
    }
    Ok(())
}

/// Whether `item` matches one of `patterns`.
pub fn matches(patterns: &[String], item: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => item.starts_with(prefix),
        None => p == item,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_ids_and_prefixes() {
        let patterns = vec!["acme".to_owned(), "crm-*".to_owned()];
        assert!(matches(&patterns, "acme"));
        assert!(!matches(&patterns, "acme2"));
        assert!(matches(&patterns, "crm-1"));
        assert!(!matches(&patterns, "crm"));
        assert!(validate_patterns(&patterns).is_ok());
        assert!(validate_patterns(&["a*b".into()]).is_err());
        assert!(validate_patterns(&["".into()]).is_err());
        assert!(validate_patterns(&["*".into()]).is_ok());
    }

    #[test]
    fn secrets_are_long_and_distinct() {
        let (a, b) = (new_secret("svt_"), new_secret("svt_"));
        assert_ne!(a, b);
        assert!(a.len() >= 4 + 43);
        assert_eq!(hash_secret(&a).len(), 32);
    }
}

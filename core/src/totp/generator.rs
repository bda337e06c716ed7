//! What HOTP and TOTP share: a secret, a hash and a code format, turned into
//! the code for one counter value, and checked against a typed code.

use super::algorithm::Keyed;
use super::code::{Format, normalize_typed};
use super::{Algorithm, Secret};
use crate::error::Result;

/// A secret with its hash and code format, and the HMAC state keyed once
/// from it (re-keying per code cost ~40 % of a code).
#[derive(Debug)]
pub(crate) struct Generator {
    pub(crate) secret: Secret,
    pub(crate) algorithm: Algorithm,
    pub(crate) format: Format,
    keyed: Keyed,
}

impl Generator {
    /// Keys the HMAC state for `secret`.
    pub(crate) fn new(secret: Secret, algorithm: Algorithm, format: Format) -> Self {
        let keyed = algorithm.keyed(secret.expose_secret());
        Generator {
            secret,
            algorithm,
            format,
            keyed,
        }
    }

    /// The code for one counter value (an HOTP counter or a TOTP step).
    pub(crate) fn code(&self, counter: u64) -> Result<String> {
        Ok(self
            .format
            .render(self.keyed.truncated(counter))
            .to_string_owned())
    }

    /// The first of `counters` whose code equals `typed`, comparing every
    /// candidate in constant time and without stopping at the first match.
    pub(crate) fn find(
        &self,
        typed: &str,
        counters: impl Iterator<Item = u64>,
    ) -> Result<Option<u64>> {
        let Some((typed, len)) = normalize_typed(typed) else {
            return Ok(None);
        };
        let mut found = None;
        for counter in counters {
            let value = self.keyed.truncated(counter);
            let matches = self.format.render(value).matches(&typed[..len]);
            if matches && found.is_none() {
                found = Some(counter);
            }
        }
        Ok(found)
    }
}

//! What HOTP and TOTP share: a secret, a hash and a code format, turned into
//! the code for one counter value, and checked against a typed code.

use super::code::{Format, normalize_typed};
use super::{Algorithm, Secret};
use crate::error::Result;

/// A secret with its hash and code format.
#[derive(Debug)]
pub(crate) struct Generator {
    pub(crate) secret: Secret,
    pub(crate) algorithm: Algorithm,
    pub(crate) format: Format,
}

impl Generator {
    /// The code for one counter value (an HOTP counter or a TOTP step).
    pub(crate) fn code(&self, counter: u64) -> Result<String> {
        let value = self
            .algorithm
            .truncated(self.secret.expose_secret(), counter)?;
        Ok(self.format.render(value).to_string_owned())
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
            let value = self
                .algorithm
                .truncated(self.secret.expose_secret(), counter)?;
            let matches = self.format.render(value).matches(&typed[..len]);
            if matches && found.is_none() {
                found = Some(counter);
            }
        }
        Ok(found)
    }
}

//! Finding the code (or magic link) in a received message's text.
//!
//! Interface fixed for parallel work; the implementation lands with the
//! extraction corpus (`testdata/tfa-messages/`).

use zeroize::Zeroizing;

/// What one message yielded: a code, a magic link, both or neither.
#[derive(Default)]
pub struct Extracted {
    /// The one-time code.
    pub code: Option<Zeroizing<String>>,
    /// A URL on the credential's `login_url` site.
    pub link: Option<Zeroizing<String>>,
}

/// A credential's `code_pattern` that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("code_pattern is not a valid regular expression")]
pub struct InvalidPattern;

/// Extraction settings of one credential.
pub struct Extractor {
    _private: (),
}

impl Extractor {
    /// Built-in patterns, or `code_pattern` (first capture group, else the
    /// whole match) when set; magic links only on `login_url`'s site.
    pub fn new(
        _code_pattern: Option<&str>,
        _login_url: Option<&str>,
    ) -> Result<Self, InvalidPattern> {
        todo!("extraction")
    }

    /// The code and link in `text` (subject and body, HTML already reduced).
    pub fn extract(&self, _text: &str) -> Extracted {
        todo!("extraction")
    }
}

/// Checks a credential's `code_pattern` at ingest.
pub fn check_code_pattern(_pattern: &str) -> Result<(), InvalidPattern> {
    todo!("extraction")
}

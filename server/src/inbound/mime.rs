//! Parsing a raw `message/rfc822` into the text extraction reads.
//!
//! Interface fixed for parallel work.

use zeroize::Zeroizing;

/// A parsed email, reduced to what routing and extraction need.
pub struct ParsedMail {
    /// The `From` address (lower case), when present.
    pub from: Option<String>,
    /// Senders named in forwarded messages inside it (lower case).
    pub forwarded_from: Vec<String>,
    /// Subject, then every text part, HTML parts reduced to text with link
    /// targets kept, forwarded messages included. Wiped on drop.
    pub text: Zeroizing<String>,
}

/// Parses a raw message; `None` when it is not a message at all.
pub fn parse(_raw: &[u8]) -> Option<ParsedMail> {
    todo!("mime")
}

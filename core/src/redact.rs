//! Redaction of known secrets from text an agent logs or sends to a
//! language model (issue 11).
//!
//! A [`Redactor`] holds the secret values a session guard handed out —
//! the password, extra fields, TOTP codes, emailed or texted codes and
//! links — each in a zeroizing buffer, and replaces every occurrence of
//! each (also percent-encoded, form-encoded and JSON-escaped, as they show
//! up in request logs) with [`PLACEHOLDER`]. It forgets them when dropped,
//! which happens when the guard is released.

use std::sync::Mutex;

use zeroize::Zeroizing;

/// What a secret is replaced with.
pub const PLACEHOLDER: &str = "[REDACTED]";

/// Secret values to scrub from text; wiped on drop.
#[derive(Default)]
pub struct Redactor {
    secrets: Mutex<Vec<Zeroizing<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.secrets.lock().map_or(0, |s| s.len());
        f.debug_struct("Redactor").field("secrets", &count).finish()
    }
}

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers `secret` and the forms it takes in URLs, forms and JSON.
    /// Empty values are ignored.
    pub fn add(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let Ok(mut secrets) = self.secrets.lock() else {
            return;
        };
        for form in encodings(secret) {
            if !secrets.iter().any(|s| s.as_str() == form.as_str()) {
                secrets.push(form);
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// How many values (with their encodings) are held.
    pub fn len(&self) -> usize {
        self.secrets.lock().map_or(0, |s| s.len())
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` with every held secret replaced by [`PLACEHOLDER`].
    pub fn redact(&self, text: &str) -> String {
        let Ok(secrets) = self.secrets.lock() else {
            return PLACEHOLDER.to_owned();
        };
        let mut out = text.to_owned();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), PLACEHOLDER);
            }
        }
        out
    }
}

/// The secret as written, percent-encoded (`%20` and `+` for spaces), and
/// JSON-escaped, without repeats.
fn encodings(secret: &str) -> Vec<Zeroizing<String>> {
    let mut forms = vec![Zeroizing::new(secret.to_owned())];
    let percent = Zeroizing::new(percent_encode(secret, "%20"));
    let form = Zeroizing::new(percent_encode(secret, "+"));
    let json = serde_json::to_string(secret).map(Zeroizing::new);
    let mut candidates = vec![percent, form];
    if let Ok(json) = json {
        candidates.push(Zeroizing::new(json[1..json.len() - 1].to_owned()));
    }
    for candidate in candidates {
        if !forms.iter().any(|f| f.as_str() == candidate.as_str()) {
            forms.push(candidate);
        }
    }
    forms
}

fn percent_encode(secret: &str, space: &str) -> String {
    let mut out = String::with_capacity(secret.len() * 3);
    for byte in secret.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push_str(space),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_form_of_every_secret() {
        let r = Redactor::new();
        r.add("hunter2 & \"co\"");
        r.add("482913");
        r.add("");
        let log = "typed hunter2 & \"co\" then code 482913; body password=hunter2+%26+%22co%22 \
                   url ?p=hunter2%20%26%20%22co%22 json {\"password\":\"hunter2 & \\\"co\\\"\"}";
        let clean = r.redact(log);
        assert!(!clean.contains("hunter2"), "{clean}");
        assert!(!clean.contains("482913"), "{clean}");
        assert_eq!(clean.matches(PLACEHOLDER).count(), 5, "{clean}");
    }

    #[test]
    fn longer_secrets_win_and_nothing_else_changes() {
        let r = Redactor::new();
        r.add("abc");
        r.add("abcdef");
        assert_eq!(r.redact("x abcdef y abc z"), "x [REDACTED] y [REDACTED] z");
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(!format!("{r:?}").contains("abc"));
    }
}

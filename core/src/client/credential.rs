//! The sealed plaintext of a credential (DESIGN §7): JSON
//! `{"username", "password", "fields"}`, and the origin check every SDK
//! applies before handing it to a page.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::wire::SecretString;
use crate::{Error, Result};

/// A username, password and extra secret fields. Every string wipes itself
/// on drop; `Debug` shows the username and field names only.
#[derive(Serialize, Deserialize, Default)]
pub struct Credential {
    /// The login name.
    pub username: String,
    /// The password.
    pub password: SecretString,
    /// Other secret fields (security answers, a PIN, …), by name.
    #[serde(default)]
    pub fields: BTreeMap<String, SecretString>,
    /// The config's `login_url`, set when the vault handed the credential out.
    #[serde(skip)]
    login_url: Option<String>,
}

impl Credential {
    /// A credential with a username and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: SecretString::new(password.into()),
            fields: BTreeMap::new(),
            login_url: None,
        }
    }

    /// Adds a secret field.
    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields
            .insert(name.into(), SecretString::new(value.into()));
        self
    }

    /// The JSON plaintext that is sealed, in a wiping buffer.
    pub fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>> {
        serde_json::to_vec(self)
            .map(Zeroizing::new)
            .map_err(|_| Error::InvalidRequest("credential does not serialize".into()))
    }

    /// Parses an opened plaintext. The error never quotes the plaintext.
    pub fn from_plaintext(plaintext: &[u8]) -> Result<Self> {
        serde_json::from_slice(plaintext).map_err(|_| {
            Error::InvalidRequest(
                "credential plaintext is not {\"username\",\"password\",\"fields\"} JSON".into(),
            )
        })
    }

    pub(crate) fn set_login_url(&mut self, login_url: Option<String>) {
        self.login_url = login_url;
    }

    /// The config's `login_url`, when the vault handed this credential out.
    pub fn login_url(&self) -> Option<&str> {
        self.login_url.as_deref()
    }

    /// Refuses (`invalid_request`) unless `page_url` has the origin of the
    /// config's `login_url` — or when there is no `login_url` to compare.
    pub fn check_origin(&self, page_url: &str) -> Result<()> {
        let login_url = self.login_url.as_deref().ok_or_else(|| {
            Error::InvalidRequest("credential has no login_url to check the page against".into())
        })?;
        check_origin(login_url, page_url)
    }
}

/// Refuses (`invalid_request`) unless both URLs have the same origin
/// (scheme, host and port).
pub fn check_origin(login_url: &str, page_url: &str) -> Result<()> {
    let parse = |u: &str, what: &str| {
        url::Url::parse(u).map_err(|_| Error::InvalidRequest(format!("{what} is not a URL")))
    };
    let expected = parse(login_url, "login_url")?.origin();
    let found = parse(page_url, "page URL")?.origin();
    if !expected.is_tuple() || expected != found {
        return Err(Error::InvalidRequest(format!(
            "page origin {} is not the credential's login origin {}",
            found.ascii_serialization(),
            expected.ascii_serialization()
        )));
    }
    Ok(())
}

/// Equal when username, password and fields are (where it was handed out
/// from does not count); secrets compare in constant time.
impl PartialEq for Credential {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username
            && self.password == other.password
            && self.fields == other.fields
    }
}

impl Eq for Credential {}

impl Drop for Credential {
    fn drop(&mut self) {
        self.username.zeroize();
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_round_trip_and_redaction() {
        let c = Credential::new("alice", "hunter2").with_field("pin", "1234");
        let pt = c.to_plaintext().unwrap();
        let back = Credential::from_plaintext(&pt).unwrap();
        assert_eq!(back, c);
        let shown = format!("{back:?}");
        assert!(shown.contains("alice") && shown.contains("pin"));
        assert!(!shown.contains("hunter2") && !shown.contains("1234"));
        let err = Credential::from_plaintext(b"{\"password\":\"hunter2\"}").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn origin_check() {
        let login = "https://portal.acme.test/login";
        assert!(check_origin(login, "https://portal.acme.test/other?x=1").is_ok());
        for bad in [
            "http://portal.acme.test/login",
            "https://portal.acme.test:8443/login",
            "https://evil.test/portal.acme.test/login",
            "https://portal.acme.test.evil.test/login",
            "not a url",
        ] {
            assert_eq!(
                check_origin(login, bad).unwrap_err().code(),
                "invalid_request",
                "{bad}"
            );
        }
        assert!(check_origin("data:text/html,x", "data:text/html,x").is_err());
        let mut c = Credential::new("a", "b");
        assert!(c.check_origin(login).is_err());
        c.set_login_url(Some(login.into()));
        assert!(c.check_origin(login).is_ok());
    }
}

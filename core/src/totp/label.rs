//! Who a code is for: the issuer and account of the Key Uri Format label
//! (`Issuer:account`).

use super::invalid;
use crate::error::Result;

/// The issuer (service) and account (user) a generator belongs to. Both are
/// public metadata, shown by authenticator apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) issuer: Option<String>,
    pub(crate) account: String,
}

impl Label {
    /// Splits a decoded URI label at its first colon; spaces after the colon
    /// are dropped. An `issuer` parameter wins over the label's prefix (the
    /// Key Uri Format calls it the preferred form).
    pub(crate) fn from_uri_parts(label: &str, issuer_param: Option<String>) -> Label {
        let (prefix, account) = match label.split_once(':') {
            Some((prefix, account)) => (Some(prefix), account.trim_start_matches(' ')),
            None => (None, label),
        };
        let issuer = issuer_param
            .or(prefix.map(str::to_owned))
            .filter(|issuer| !issuer.is_empty());
        Label {
            issuer,
            account: account.to_owned(),
        }
    }

    /// Sets the issuer; an empty one clears it.
    ///
    /// # Errors
    /// A colon, which the label could not carry unambiguously.
    pub(crate) fn set_issuer(&mut self, issuer: &str) -> Result<()> {
        no_colon("issuer", issuer)?;
        self.issuer = Some(issuer.to_owned()).filter(|issuer| !issuer.is_empty());
        Ok(())
    }

    /// Sets the account name.
    ///
    /// # Errors
    /// A colon, which the label could not carry unambiguously.
    pub(crate) fn set_account(&mut self, account: &str) -> Result<()> {
        no_colon("account", account)?;
        self.account = account.to_owned();
        Ok(())
    }
}

fn no_colon(what: &str, value: &str) -> Result<()> {
    if value.contains(':') {
        return Err(invalid(format!("{what} must not contain ':'")));
    }
    Ok(())
}

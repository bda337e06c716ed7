//! Accounts, their second factor, and the counters a test reads.

use sealvault::totp::{Algorithm, Totp};
use serde::{Deserialize, Serialize};

/// Consecutive failures (wrong passwords or codes) that lock an account.
pub const LOCK_AFTER: u32 = 5;
/// The TOTP period of `totp` accounts, in seconds.
pub const TOTP_PERIOD: u64 = 5;
/// TOTP digits.
pub const TOTP_DIGITS: u32 = 6;
/// Steps of clock drift accepted either way.
pub const TOTP_WINDOW: u32 = 1;

/// The second factor of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Password only.
    Password,
    /// Password, then an authenticator code.
    Totp,
    /// Password, then a code mailed to `email`.
    Email,
    /// Password, then a code texted to `phone`.
    Sms,
}

/// An account as the accounts file and `POST /admin/accounts` give it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The login name.
    pub username: String,
    /// The password, in clear (a test fixture).
    pub password: String,
    /// The second factor.
    pub kind: Kind,
    /// Base32 TOTP secret (`totp` accounts).
    #[serde(default)]
    pub totp_secret: Option<String>,
    /// Where codes are mailed (`email` accounts): the vault-assigned address.
    #[serde(default)]
    pub email: Option<String>,
    /// Where codes are texted (`sms` accounts): the vault-assigned number.
    #[serde(default)]
    pub phone: Option<String>,
}

/// One completed login: the `X-Demo-Proxy` header and peer address of the
/// `POST /login` that started it.
#[derive(Debug, Clone, Serialize)]
pub struct LoginRecord {
    /// The `X-Demo-Proxy` header (test proxies add it), or null.
    pub proxy: Option<String>,
    /// The client's address as the site saw it (`ip:port`).
    pub peer: String,
}

/// The counters of one account (`GET /admin/accounts/{username}`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Completed logins (a session created by the login forms).
    pub total_logins: u64,
    /// Wrong passwords and wrong codes.
    pub failed_attempts: u64,
    /// Attempts refused because the account was locked.
    pub locked_attempts: u64,
    /// Failures since the last success; `LOCK_AFTER` locks the account.
    pub consecutive_failures: u32,
    /// The most sessions of this account active at once.
    pub max_concurrent_sessions: u64,
    /// Logins started (password accepted) while another login of the same
    /// account was between its password and its session.
    pub overlapping_logins: u64,
    /// One entry per completed login, oldest first.
    pub proxies_seen: Vec<LoginRecord>,
    /// Every emailed or texted code, oldest first: a test fixture's
    /// convenience (tests check that no log shows them).
    pub codes_sent: Vec<String>,
}

/// An account with its TOTP generator, lock and counters.
pub(crate) struct AccountEntry {
    pub(crate) account: Account,
    pub(crate) totp: Option<Totp>,
    pub(crate) locked: bool,
    /// The last TOTP step accepted: it and earlier ones are refused.
    pub(crate) last_totp_step: Option<u64>,
    pub(crate) stats: Stats,
}

impl AccountEntry {
    /// Checks `account` for its kind's field and builds its generator.
    pub(crate) fn new(account: Account) -> Result<AccountEntry, String> {
        let name = &account.username;
        if name.is_empty() {
            return Err("an account needs a username".into());
        }
        let mut totp = None;
        match account.kind {
            Kind::Password => {}
            Kind::Totp => {
                let secret = account
                    .totp_secret
                    .as_deref()
                    .ok_or_else(|| format!("totp account {name:?} needs totp_secret"))?;
                totp = Some(
                    Totp::from_base32(secret, TOTP_DIGITS, TOTP_PERIOD, Algorithm::Sha1)
                        .map_err(|e| format!("totp account {name:?}: {e}"))?,
                );
            }
            Kind::Email => {
                if !account.email.as_deref().is_some_and(|e| e.contains('@')) {
                    return Err(format!("email account {name:?} needs an email address"));
                }
            }
            Kind::Sms => {
                if !account.phone.as_deref().is_some_and(is_e164) {
                    return Err(format!("sms account {name:?} needs an E.164 phone"));
                }
            }
        }
        Ok(AccountEntry {
            account,
            totp,
            locked: false,
            last_totp_step: None,
            stats: Stats::default(),
        })
    }

    /// Counts a wrong password or code; locks after `LOCK_AFTER` in a row.
    pub(crate) fn fail(&mut self) {
        self.stats.failed_attempts += 1;
        self.stats.consecutive_failures += 1;
        if self.stats.consecutive_failures >= LOCK_AFTER {
            self.locked = true;
        }
    }
}

/// `+` then 8 to 15 digits, the first not 0.
fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use super::is_e164;

    #[test]
    fn e164() {
        assert!(is_e164("+15005550006"));
        assert!(!is_e164("15005550006"));
        assert!(!is_e164("+0123456789"));
        assert!(!is_e164("+1500-555"));
    }
}

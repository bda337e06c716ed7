//! `[inbound]`: second-factor messages in (DESIGN §7, §8).
//!
//! ```toml
//! [inbound]
//! domain = "inbound.example.com"   # SEALVAULT_INBOUND_DOMAIN
//! smtp_listen = "0.0.0.0:2525"     # SEALVAULT_SMTP_LISTEN (off when unset)
//! sms_numbers = ["+15550100001"]   # SEALVAULT_SMS_NUMBERS (comma-separated)
//! secret_file = "/run/secrets/inbound"  # or SEALVAULT_INBOUND_SECRET
//! twilio_auth_token_file = "/run/secrets/twilio"  # or SEALVAULT_TWILIO_AUTH_TOKEN
//! public_url = "https://vault.example.com"        # SEALVAULT_PUBLIC_URL
//! code_ttl_secs = 600              # SEALVAULT_TFA_CODE_TTL_SECS
//! max_message_bytes = 1048576
//! ```

use std::path::PathBuf;

use sealvault::wire::SecretString;
use serde::Deserialize;

/// `[inbound]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundConfig {
    /// The domain of assigned addresses.
    pub domain: String,
    /// Where the SMTP listener binds; none: no listener.
    pub smtp_listen: Option<String>,
    /// The SMS number pool (E.164).
    pub sms_numbers: Vec<String>,
    /// The HMAC key of `X-SealVault-Signature` webhooks.
    pub secret: Option<SecretString>,
    /// A file holding it.
    pub secret_file: Option<PathBuf>,
    /// Twilio's auth token (checks `X-Twilio-Signature`).
    pub twilio_auth_token: Option<SecretString>,
    /// A file holding it.
    pub twilio_auth_token_file: Option<PathBuf>,
    /// The vault's public base URL, as Twilio calls it (behind a proxy).
    pub public_url: Option<String>,
    /// Seconds a received code is kept for its agent.
    pub code_ttl_secs: u64,
    /// Largest email accepted (SMTP and webhook).
    pub max_message_bytes: usize,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            domain: "inbound.localhost".into(),
            smtp_listen: None,
            sms_numbers: Vec::new(),
            secret: None,
            secret_file: None,
            twilio_auth_token: None,
            twilio_auth_token_file: None,
            public_url: None,
            code_ttl_secs: 600,
            max_message_bytes: 1024 * 1024,
        }
    }
}

impl InboundConfig {
    /// Applies the `SEALVAULT_*` variables of DESIGN §8.
    pub fn apply_env(&mut self, var: &impl Fn(&str) -> Option<String>) {
        if let Some(domain) = var("SEALVAULT_INBOUND_DOMAIN") {
            self.domain = domain;
        }
        if let Some(listen) = var("SEALVAULT_SMTP_LISTEN").filter(|v| !v.is_empty()) {
            self.smtp_listen = Some(listen);
        }
        if let Some(numbers) = var("SEALVAULT_SMS_NUMBERS") {
            self.sms_numbers = numbers
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(secret) = var("SEALVAULT_INBOUND_SECRET") {
            self.secret = Some(SecretString::new(secret));
        }
        if let Some(token) = var("SEALVAULT_TWILIO_AUTH_TOKEN") {
            self.twilio_auth_token = Some(SecretString::new(token));
        }
        if let Some(url) = var("SEALVAULT_PUBLIC_URL") {
            self.public_url = Some(url);
        }
        if let Some(secs) = var("SEALVAULT_TFA_CODE_TTL_SECS").and_then(|v| v.parse().ok()) {
            self.code_ttl_secs = secs;
        }
    }

    /// The webhook secret, inline or from its file.
    pub fn secret(&self) -> Result<Option<SecretString>, String> {
        read_secret(
            self.secret.as_ref(),
            self.secret_file.as_deref(),
            "inbound secret",
        )
    }

    /// The Twilio auth token, inline or from its file.
    pub fn twilio_auth_token(&self) -> Result<Option<SecretString>, String> {
        read_secret(
            self.twilio_auth_token.as_ref(),
            self.twilio_auth_token_file.as_deref(),
            "Twilio auth token",
        )
    }

    /// Checks the pool: E.164 numbers, no repeats.
    pub fn validate(&self) -> Result<(), String> {
        for (i, number) in self.sms_numbers.iter().enumerate() {
            if !is_e164(number) {
                return Err(format!("sms_numbers: {number:?} is not an E.164 number"));
            }
            if self.sms_numbers[..i].contains(number) {
                return Err(format!("sms_numbers: {number} listed twice"));
            }
        }
        if self.domain.is_empty() || self.domain.contains('@') {
            return Err("inbound domain must be a bare domain name".into());
        }
        Ok(())
    }
}

/// `+` then 7–15 digits, the first not 0.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn read_secret(
    inline: Option<&SecretString>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<Option<SecretString>, String> {
    if let Some(secret) = inline {
        return Ok(Some(SecretString::new(secret.expose_secret().to_owned())));
    }
    let Some(path) = file else { return Ok(None) };
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the {what} file {}: {e}", path.display()))?,
    );
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(format!("the {what} file {} is empty", path.display()));
    }
    Ok(Some(SecretString::new(trimmed.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_sets_the_pool_and_secrets() {
        let mut config = InboundConfig::default();
        config.apply_env(&|name| match name {
            "SEALVAULT_SMS_NUMBERS" => Some("+15550100001, +15550100002".into()),
            "SEALVAULT_INBOUND_SECRET" => Some("s3cret".into()),
            "SEALVAULT_SMTP_LISTEN" => Some("127.0.0.1:0".into()),
            _ => None,
        });
        assert_eq!(config.sms_numbers, ["+15550100001", "+15550100002"]);
        assert_eq!(
            config
                .secret()
                .ok()
                .flatten()
                .map(|s| s.expose_secret().to_owned()),
            Some("s3cret".to_owned())
        );
        assert!(config.validate().is_ok());
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn bad_numbers_are_refused() {
        for bad in ["15550100001", "+0555", "+1555abc0000", "+1234567890123456"] {
            let config = InboundConfig {
                sms_numbers: vec![bad.into()],
                ..InboundConfig::default()
            };
            assert!(config.validate().is_err(), "{bad}");
        }
    }
}

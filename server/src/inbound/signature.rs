//! Webhook signatures: the vault's own `X-SealVault-Signature`
//! (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, five-minute window)
//! and Twilio's `X-Twilio-Signature` (base64 HMAC-SHA1 of the URL followed
//! by the POST parameters sorted by name, each name then value).

use base64::Engine;
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// How far a signed timestamp may be from now.
pub const WINDOW_SECS: i64 = 300;

/// Why a signature was refused (never says which part matched).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature header, or one that does not parse.
    #[error("missing or malformed signature")]
    Malformed,
    /// Outside the five-minute window.
    #[error("signature timestamp outside the allowed window")]
    Stale,
    /// The MAC does not match.
    #[error("signature does not match")]
    Mismatch,
}

/// The `X-SealVault-Signature` value for `body` at time `t`.
pub fn sealvault_signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(sealvault_mac(secret, t, body)))
}

fn sealvault_mac(secret: &[u8], t: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks an `X-SealVault-Signature` header (any of several `v1=` values
/// may match, for secret rollover).
pub fn verify_sealvault(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut t = None;
    let mut macs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => macs.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if macs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > WINDOW_SECS {
        return Err(SignatureError::Stale);
    }
    let expected = sealvault_mac(secret, t, body);
    let ok = macs
        .iter()
        .fold(0u8, |any, mac| any | expected.ct_eq(mac).unwrap_u8());
    if ok == 1 {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Twilio's signature of a form POST to `url`.
pub fn twilio_signature(auth_token: &[u8], url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks an `X-Twilio-Signature` header.
pub fn verify_twilio(
    auth_token: &[u8],
    header: Option<&str>,
    url: &str,
    params: &[(String, String)],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let expected = twilio_signature(auth_token, url, params);
    if bool::from(expected.as_bytes().ct_eq(header.trim().as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's documented example (the "Validating requests" page).
    #[test]
    fn twilio_documented_example() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature(b"12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        let good = Some("GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(verify_twilio(b"12345", good, url, &params).is_ok());
        assert_eq!(
            verify_twilio(b"12346", good, url, &params),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn sealvault_window_and_mac() {
        let sig = sealvault_signature(b"k", 1_000, b"{}");
        assert!(verify_sealvault(b"k", Some(&sig), b"{}", 1_100).is_ok());
        assert_eq!(
            verify_sealvault(b"k", Some(&sig), b"{}", 1_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_sealvault(b"k", Some(&sig), b"{ }", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_sealvault(b"other", Some(&sig), b"{}", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_sealvault(b"k", Some("v1=00"), b"{}", 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_sealvault(b"k", None, b"{}", 1_000),
            Err(SignatureError::Malformed)
        );
    }
}

//! Second factors: codes mailed by SMTP and texted as a signed Twilio
//! webhook. TOTP is checked in `pages` with `sealvault::totp`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use sha1::Sha1;

use crate::Delivery;

/// The sender of emailed codes.
pub const EMAIL_FROM: &str = "noreply@demo-site.test";
/// The subject of emailed codes.
pub const EMAIL_SUBJECT: &str = "Your Demo Site sign-in code";

/// A random 6-digit code.
pub(crate) fn random_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Mails `code` to `to` through the configured SMTP server.
pub(crate) async fn send_email(delivery: &Delivery, to: &str, code: &str) -> Result<(), String> {
    let smtp = delivery
        .smtp
        .as_deref()
        .ok_or("no --smtp server configured")?;
    let (host, port) = smtp
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("--smtp {smtp:?} is not host:port"))?;
    let from: Mailbox = EMAIL_FROM.parse().map_err(|e| format!("from: {e}"))?;
    let to: Mailbox = to.parse().map_err(|e| format!("to: {e}"))?;
    let text = format!("Your verification code is {code}. It expires in 10 minutes.");
    let html =
        format!("<p>Your verification code is <b>{code}</b>.</p><p>It expires in 10 minutes.</p>");
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(EMAIL_SUBJECT)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| format!("building the message: {e}"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .build();
    transport
        .send(message)
        .await
        .map_err(|e| format!("SMTP to {smtp}: {e}"))?;
    Ok(())
}

/// Twilio's request signature: base64 of HMAC-SHA1 keyed with the auth
/// token over the full URL followed by every POST parameter's name and
/// value, sorted by name.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<_> = params.to_vec();
    sorted.sort();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// An `SM…` or `AC…` id: the prefix and 32 random hex digits.
fn twilio_sid(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Texts `code` to `to`: posts a signed Twilio inbound-SMS webhook to the
/// configured URL, as Twilio would on receiving the message.
pub(crate) async fn send_sms(delivery: &Delivery, to: &str, code: &str) -> Result<(), String> {
    let url = delivery
        .twilio_url
        .as_deref()
        .ok_or("no --twilio-url configured")?;
    let token = delivery
        .twilio_token
        .as_deref()
        .ok_or("no --twilio-token configured")?;
    let from = delivery
        .sms_from
        .as_deref()
        .ok_or("no --sms-from configured")?;
    let body = format!("Demo Site code: {code}");
    let message_sid = twilio_sid("SM");
    let account_sid = twilio_sid("AC");
    let params = [
        ("From", from),
        ("To", to),
        ("Body", body.as_str()),
        ("MessageSid", message_sid.as_str()),
        ("AccountSid", account_sid.as_str()),
    ];
    let signature = twilio_signature(token, url, &params);
    let response = delivery
        .http
        .post(url)
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .map_err(|e| format!("posting the SMS webhook: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("the SMS webhook answered {}", response.status()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{random_code, twilio_signature};

    /// Twilio's documented example ("Validating Signatures from Twilio").
    #[test]
    fn twilio_documented_example() {
        let params = [
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675310"),
            ("Caller", "+14158675310"),
            ("CallSid", "CA1234567890ABCDE"),
        ];
        assert_eq!(
            twilio_signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = random_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

//! `otpauth://` URIs (Google's Key Uri Format) and `steam://` secrets, parsed
//! and built.
//!
//! `otpauth://TYPE/LABEL?secret=…&issuer=…&algorithm=…&digits=…&period=…&counter=…`
//! with TYPE `totp`, `hotp` or `steam`. Scheme, type and parameter names are
//! matched case-insensitively; unknown parameters are ignored; a known
//! parameter given twice is an error. `encoder=steam` makes a TOTP a Steam
//! Guard one. `t0` (an RFC 6238 epoch offset in seconds) is a SealVault
//! extension that other apps ignore.

use zeroize::Zeroizing;

use super::code::Format;
use super::label::Label;
use super::{Algorithm, Secret, invalid, steam};
use crate::error::Result;

/// The generator kind a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Totp,
    Hotp,
}

/// Everything a URI says, before it becomes a [`super::Totp`] or
/// [`super::Hotp`].
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) kind: Kind,
    pub(crate) secret: Secret,
    pub(crate) algorithm: Algorithm,
    pub(crate) format: Format,
    pub(crate) period: Option<u64>,
    pub(crate) counter: Option<u64>,
    pub(crate) t0: i64,
    pub(crate) label: Label,
}

/// The raw query parameters SealVault reads, still percent-encoded.
#[derive(Default)]
struct Query<'a> {
    secret: Option<&'a str>,
    issuer: Option<&'a str>,
    algorithm: Option<&'a str>,
    digits: Option<&'a str>,
    period: Option<&'a str>,
    counter: Option<&'a str>,
    encoder: Option<&'a str>,
    t0: Option<&'a str>,
}

/// Parses an `otpauth://` URI or a `steam://BASE32` secret.
pub(crate) fn parse(uri: &str) -> Result<Parsed> {
    let uri = uri.trim();
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| invalid("not an otpauth:// URI"))?;
    if scheme.eq_ignore_ascii_case("steam") {
        return parse_steam(rest);
    }
    if !scheme.eq_ignore_ascii_case("otpauth") {
        return Err(invalid("URI scheme must be otpauth:// or steam://"));
    }
    let rest = rest
        .split_once('#')
        .map_or(rest, |(before, _fragment)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind_name, label) = path.split_once('/').unwrap_or((path, ""));
    let query = split_query(query)?;
    let steam = is_steam(kind_name, query.encoder)?;
    let kind = if kind_name.eq_ignore_ascii_case("hotp") {
        Kind::Hotp
    } else {
        Kind::Totp
    };
    if steam && kind == Kind::Hotp {
        return Err(invalid("Steam Guard codes are time-based, not hotp"));
    }
    let secret = query
        .secret
        .ok_or_else(|| invalid("URI has no secret parameter"))?;
    let issuer = query.issuer.map(|text| decode(text, true)).transpose()?;
    Ok(Parsed {
        kind,
        secret: Secret::from_base32(&decode_secret(secret)?)?,
        algorithm: query
            .algorithm
            .map(|text| decode(text, true)?.parse())
            .transpose()?
            .unwrap_or_default(),
        format: if steam {
            Format::Steam
        } else {
            Format::decimal(number(query.digits, "digits")?.unwrap_or(6))?
        },
        period: number(query.period, "period")?,
        counter: number(query.counter, "counter")?,
        t0: number(query.t0, "t0")?.unwrap_or(0),
        label: Label::from_uri_parts(&decode(label, false)?, issuer),
    })
}

/// `steam://SECRET`: a base32 secret for a standard Steam Guard generator.
fn parse_steam(rest: &str) -> Result<Parsed> {
    Ok(Parsed {
        kind: Kind::Totp,
        secret: Secret::from_base32(&decode_secret(rest)?)?,
        algorithm: Algorithm::Sha1,
        format: Format::Steam,
        period: Some(steam::PERIOD),
        counter: None,
        t0: 0,
        label: Label {
            issuer: Some("Steam".to_owned()),
            account: String::new(),
        },
    })
}

/// Whether the URI asks for Steam Guard codes (type `steam` or
/// `encoder=steam`); any other type than totp/hotp/steam is an error.
fn is_steam(kind_name: &str, encoder: Option<&str>) -> Result<bool> {
    let by_kind = kind_name.eq_ignore_ascii_case("steam");
    if !by_kind
        && !kind_name.eq_ignore_ascii_case("totp")
        && !kind_name.eq_ignore_ascii_case("hotp")
    {
        return Err(invalid("URI type must be totp, hotp or steam"));
    }
    match encoder.map(|text| decode(text, true)).transpose()? {
        None => Ok(by_kind),
        Some(name) if name.eq_ignore_ascii_case("steam") => Ok(true),
        Some(_) => Err(invalid("unknown encoder (only steam is supported)")),
    }
}

fn split_query(query: &str) -> Result<Query<'_>> {
    let mut out = Query::default();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match decode(name, true)?.to_ascii_lowercase().as_str() {
            "secret" => &mut out.secret,
            "issuer" => &mut out.issuer,
            "algorithm" => &mut out.algorithm,
            "digits" => &mut out.digits,
            "period" => &mut out.period,
            "counter" => &mut out.counter,
            "encoder" => &mut out.encoder,
            "t0" => &mut out.t0,
            _ => continue,
        };
        if slot.replace(value).is_some() {
            return Err(invalid("URI repeats a parameter"));
        }
    }
    Ok(out)
}

/// A decimal parameter, if present (digits and an optional leading `-`
/// only: no `+`, no spaces).
fn number<T: core::str::FromStr>(raw: Option<&str>, name: &str) -> Result<Option<T>> {
    let Some(raw) = raw else { return Ok(None) };
    let text = decode(raw, true)?;
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("URI parameter {name} is not a number")));
    }
    let value = text
        .parse()
        .map_err(|_| invalid(format!("URI parameter {name} is out of range")))?;
    Ok(Some(value))
}

/// The secret parameter decoded into a buffer that is wiped after use.
fn decode_secret(raw: &str) -> Result<Zeroizing<String>> {
    decode(raw, true).map(Zeroizing::new)
}

/// Percent-decoding (RFC 3986), with `+` as a space in query values as
/// form encoding and most authenticator apps do.
fn decode(text: &str, plus_is_space: bool) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(bad_escape)?;
                let high = hex_value(hex[0]).ok_or_else(bad_escape)?;
                let low = hex_value(hex[1]).ok_or_else(bad_escape)?;
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| invalid("URI has percent-encoded bytes that are not UTF-8"))
}

fn bad_escape() -> crate::Error {
    invalid("URI has a malformed percent-escape")
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `@`.
fn encode(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// What [`build`] writes.
pub(crate) struct Build<'a> {
    pub(crate) kind: Kind,
    pub(crate) secret: &'a Secret,
    pub(crate) algorithm: Algorithm,
    pub(crate) format: Format,
    /// `period` for a TOTP, `counter` for an HOTP.
    pub(crate) period_or_counter: u64,
    pub(crate) t0: i64,
    pub(crate) label: &'a Label,
}

/// Writes a Key Uri Format URI. The result holds the secret, so it is
/// wiped on drop.
pub(crate) fn build(parts: &Build<'_>) -> Zeroizing<String> {
    let mut uri = Zeroizing::new(String::with_capacity(128));
    uri.push_str(match parts.kind {
        Kind::Totp => "otpauth://totp/",
        Kind::Hotp => "otpauth://hotp/",
    });
    if let Some(issuer) = &parts.label.issuer {
        encode(issuer, &mut uri);
        uri.push(':');
    }
    encode(&parts.label.account, &mut uri);
    uri.push_str("?secret=");
    uri.push_str(&parts.secret.to_base32());
    if let Some(issuer) = &parts.label.issuer {
        uri.push_str("&issuer=");
        encode(issuer, &mut uri);
    }
    uri.push_str(&format!(
        "&algorithm={}&digits={}",
        parts.algorithm,
        parts.format.digits()
    ));
    match parts.kind {
        Kind::Totp => uri.push_str(&format!("&period={}", parts.period_or_counter)),
        Kind::Hotp => uri.push_str(&format!("&counter={}", parts.period_or_counter)),
    }
    if parts.t0 != 0 {
        uri.push_str(&format!("&t0={}", parts.t0));
    }
    if parts.format == Format::Steam {
        uri.push_str("&encoder=steam");
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(
            decode("ACME%20Co+x", false).ok().as_deref(),
            Some("ACME Co+x")
        );
        assert_eq!(
            decode("ACME%20Co+x", true).ok().as_deref(),
            Some("ACME Co x")
        );
        assert_eq!(decode("%C3%A9", true).ok().as_deref(), Some("é"));
        for bad in ["%", "%2", "%zz", "%FF", "a%2"] {
            assert!(decode(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn percent_encoding_keeps_unreserved_and_at() {
        let mut out = String::new();
        encode("ACME Co:john.doe@example.com/é", &mut out);
        assert_eq!(out, "ACME%20Co%3Ajohn.doe@example.com%2F%C3%A9");
    }
}

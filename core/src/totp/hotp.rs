//! Counter-based codes (HOTP, RFC 4226).

use zeroize::Zeroizing;

use super::code::Format;
use super::generator::Generator;
use super::label::Label;
use super::uri::{self, Build, Kind};
use super::{Algorithm, MAX_WINDOW, Secret, invalid};
use crate::error::Result;

/// An HOTP generator: a secret, a hash, a digit count, and the counter an
/// `otpauth://hotp` URI carries (the next value to use).
#[derive(Debug)]
pub struct Hotp {
    generator: Generator,
    counter: u64,
    label: Label,
}

impl Hotp {
    /// An HOTP generator with 6 to 10 decimal digits; counter 0, no label.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a digit count
    /// outside 6..=10.
    pub fn new(secret: Secret, algorithm: Algorithm, digits: u32) -> Result<Hotp> {
        let format = Format::decimal(digits)?;
        Ok(Hotp {
            generator: Generator::new(secret, algorithm, format),
            counter: 0,
            label: Label::default(),
        })
    }

    /// Like [`Hotp::new`] from a base32 secret as users paste it.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a bad secret or
    /// digit count.
    pub fn from_base32(secret: &str, digits: u32, algorithm: Algorithm) -> Result<Hotp> {
        Hotp::new(Secret::from_base32(secret)?, algorithm, digits)
    }

    /// Parses an `otpauth://hotp/…` URI; `counter` is required.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a malformed URI,
    /// a TOTP URI, or a missing or bad parameter.
    pub fn from_uri(uri: &str) -> Result<Hotp> {
        let parsed = uri::parse(uri)?;
        if parsed.kind != Kind::Hotp {
            return Err(invalid("not an otpauth://hotp URI (use Totp::from_uri)"));
        }
        let counter = parsed
            .counter
            .ok_or_else(|| invalid("hotp URI has no counter parameter"))?;
        let generator = Generator::new(parsed.secret, parsed.algorithm, parsed.format);
        Ok(Hotp {
            generator,
            counter,
            label: parsed.label,
        })
    }

    /// The `otpauth://hotp/…` URI of this generator. It holds the secret
    /// and is wiped on drop.
    pub fn to_uri(&self) -> Zeroizing<String> {
        uri::build(&Build {
            kind: Kind::Hotp,
            secret: &self.generator.secret,
            algorithm: self.generator.algorithm,
            format: self.generator.format,
            period_or_counter: self.counter,
            t0: 0,
            label: &self.label,
        })
    }

    /// Sets the counter the URI carries.
    pub fn with_counter(mut self, counter: u64) -> Hotp {
        self.counter = counter;
        self
    }

    /// Sets the issuer (an empty string clears it).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if it contains `:`.
    pub fn with_issuer(mut self, issuer: &str) -> Result<Hotp> {
        self.label.set_issuer(issuer)?;
        Ok(self)
    }

    /// Sets the account name.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if it contains `:`.
    pub fn with_account(mut self, account: &str) -> Result<Hotp> {
        self.label.set_account(account)?;
        Ok(self)
    }

    /// The code for `counter`.
    ///
    /// # Errors
    /// None in practice (HMAC accepts every key); the `Result` keeps the
    /// core free of panics.
    pub fn at_counter(&self, counter: u64) -> Result<String> {
        self.generator.code(counter)
    }

    /// Checks `code` against counters `counter ..= counter + look_ahead`
    /// (RFC 4226 §7.4) and returns the one that matched. A server stores
    /// the match plus one as its next counter, so a code works once.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `look_ahead`
    /// exceeds [`MAX_WINDOW`].
    pub fn verify(&self, code: &str, counter: u64, look_ahead: u32) -> Result<Option<u64>> {
        if look_ahead > MAX_WINDOW {
            return Err(invalid(format!("look-ahead must be at most {MAX_WINDOW}")));
        }
        let last = counter.saturating_add(u64::from(look_ahead));
        self.generator.find(code, counter..=last)
    }

    /// The hash under HMAC.
    pub fn algorithm(&self) -> Algorithm {
        self.generator.algorithm
    }

    /// The number of digits of a code.
    pub fn digits(&self) -> u32 {
        self.generator.format.digits()
    }

    /// The counter the URI carries.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// The issuer, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.label.issuer.as_deref()
    }

    /// The account name (may be empty).
    pub fn account(&self) -> &str {
        &self.label.account
    }

    /// The shared secret.
    pub fn secret(&self) -> &Secret {
        &self.generator.secret
    }
}

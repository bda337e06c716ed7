//! Time-based codes (TOTP, RFC 6238) and the helpers a login robot needs.
//! Every time is a caller-supplied Unix time in seconds: the core has no
//! clock.

use zeroize::Zeroizing;

use super::code::Format;
use super::generator::Generator;
use super::label::Label;
use super::uri::{self, Build, Kind};
use super::{Algorithm, MAX_WINDOW, Secret, invalid, steam};
use crate::error::Result;

/// The period most sites use.
pub const DEFAULT_PERIOD: u64 = 30;

/// A TOTP generator: a secret, a hash, a code format, a period and an epoch
/// `t0`, plus the issuer and account of its URI.
#[derive(Debug)]
pub struct Totp {
    generator: Generator,
    period: u64,
    t0: i64,
    label: Label,
}

/// A code together with when to type it, from
/// [`Totp::code_with_validity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeWithValidity {
    /// The code to type.
    pub code: String,
    /// Seconds the code stays valid, counted after `wait_secs`.
    pub valid_for_secs: u64,
    /// Seconds to wait before typing `code` (0: type it now).
    pub wait_secs: u64,
}

impl Totp {
    /// A TOTP generator with 6 to 10 decimal digits and a period of at
    /// least one second; `t0` 0, no label.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a digit count
    /// outside 6..=10 or a zero period.
    pub fn new(secret: Secret, algorithm: Algorithm, digits: u32, period: u64) -> Result<Totp> {
        Totp::with_format(secret, algorithm, Format::decimal(digits)?, period)
    }

    /// Like [`Totp::new`] from a base32 secret as users paste it.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a bad secret,
    /// digit count or period.
    pub fn from_base32(
        secret: &str,
        digits: u32,
        period: u64,
        algorithm: Algorithm,
    ) -> Result<Totp> {
        Totp::new(Secret::from_base32(secret)?, algorithm, digits, period)
    }

    /// A Steam Guard generator: HMAC-SHA-1, 30 seconds, five characters
    /// over Steam's alphabet.
    pub fn steam(secret: Secret) -> Totp {
        let generator = Generator::new(secret, Algorithm::Sha1, Format::Steam);
        Totp {
            generator,
            period: steam::PERIOD,
            t0: 0,
            label: Label::default(),
        }
    }

    /// Parses an `otpauth://totp/…` URI (or `otpauth://steam/…`, or a
    /// `steam://BASE32` secret). Defaults: SHA1, 6 digits, 30 seconds.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) for a malformed URI,
    /// an HOTP URI, or a missing or bad parameter.
    pub fn from_uri(uri: &str) -> Result<Totp> {
        let parsed = uri::parse(uri)?;
        if parsed.kind != Kind::Totp {
            return Err(invalid("not an otpauth://totp URI (use Hotp::from_uri)"));
        }
        let period = parsed.period.unwrap_or(DEFAULT_PERIOD);
        let totp = Totp::with_format(parsed.secret, parsed.algorithm, parsed.format, period)?;
        Ok(Totp {
            t0: parsed.t0,
            label: parsed.label,
            ..totp
        })
    }

    /// The `otpauth://totp/…` URI of this generator. It holds the secret
    /// and is wiped on drop. A non-zero `t0` is written as a `t0`
    /// parameter, which only SealVault reads.
    pub fn to_uri(&self) -> Zeroizing<String> {
        uri::build(&Build {
            kind: Kind::Totp,
            secret: &self.generator.secret,
            algorithm: self.generator.algorithm,
            format: self.generator.format,
            period_or_counter: self.period,
            t0: self.t0,
            label: &self.label,
        })
    }

    fn with_format(
        secret: Secret,
        algorithm: Algorithm,
        format: Format,
        period: u64,
    ) -> Result<Totp> {
        if period == 0 {
            return Err(invalid("period must be at least 1 second"));
        }
        let generator = Generator::new(secret, algorithm, format);
        Ok(Totp {
            generator,
            period,
            t0: 0,
            label: Label::default(),
        })
    }

    /// Sets the Unix time at which step 0 starts (RFC 6238 `T0`, default 0).
    pub fn with_t0(mut self, t0: i64) -> Totp {
        self.t0 = t0;
        self
    }

    /// Sets the issuer (an empty string clears it).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if it contains `:`.
    pub fn with_issuer(mut self, issuer: &str) -> Result<Totp> {
        self.label.set_issuer(issuer)?;
        Ok(self)
    }

    /// Sets the account name.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if it contains `:`.
    pub fn with_account(mut self, account: &str) -> Result<Totp> {
        self.label.set_account(account)?;
        Ok(self)
    }

    /// Seconds since `t0`, refusing times before it.
    fn elapsed(&self, unix: i64) -> Result<u64> {
        let elapsed = i128::from(unix) - i128::from(self.t0);
        u64::try_from(elapsed).map_err(|_| invalid("time is before the generator's t0"))
    }

    /// The RFC 6238 step (counter) at `unix`: `(unix - t0) / period`.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `unix` is before `t0`.
    pub fn step(&self, unix: i64) -> Result<u64> {
        Ok(self.elapsed(unix)? / self.period)
    }

    /// The code at Unix time `unix` (seconds).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `unix` is before `t0`.
    pub fn at(&self, unix: i64) -> Result<String> {
        self.generator.code(self.step(unix)?)
    }

    /// The code of step `step`.
    ///
    /// # Errors
    /// None in practice (HMAC accepts every key); the `Result` keeps the
    /// core free of panics.
    pub fn at_step(&self, step: u64) -> Result<String> {
        self.generator.code(step)
    }

    /// Seconds until the code valid at `unix` expires (1 ..= period).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `unix` is before `t0`.
    pub fn seconds_left(&self, unix: i64) -> Result<u64> {
        Ok(self.period - self.elapsed(unix)? % self.period)
    }

    /// The code to type at `unix` so that it stays valid at least
    /// `min_secs`: the current one if it has that long left, otherwise the
    /// next step's, with the seconds to wait before it starts. A `min_secs`
    /// above the period is treated as the period (no code lives longer).
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `unix` is before
    /// `t0`, or the next step would pass the last one (`u64::MAX`).
    pub fn code_with_validity(&self, min_secs: u64, unix: i64) -> Result<CodeWithValidity> {
        let step = self.step(unix)?;
        let left = self.seconds_left(unix)?;
        if left >= min_secs.min(self.period) {
            return Ok(CodeWithValidity {
                code: self.at_step(step)?,
                valid_for_secs: left,
                wait_secs: 0,
            });
        }
        let next = step
            .checked_add(1)
            .ok_or_else(|| invalid("time is past the last step"))?;
        Ok(CodeWithValidity {
            code: self.at_step(next)?,
            valid_for_secs: self.period,
            wait_secs: left,
        })
    }

    /// Checks a typed code against the steps within `window` of the one at
    /// `unix` (`window` 1 allows one step of clock drift either way) and
    /// returns the step that matched, preferring the current one, then the
    /// nearest. Every candidate is computed and compared in constant time.
    /// A server records the matched step and refuses codes at or before it,
    /// so a code works once. Spaces and hyphens in `code` are ignored.
    ///
    /// # Errors
    /// [`Error::InvalidTotp`](crate::Error::InvalidTotp) if `unix` is before
    /// `t0` or `window` exceeds [`MAX_WINDOW`].
    pub fn verify(&self, code: &str, unix: i64, window: u32) -> Result<Option<u64>> {
        if window > MAX_WINDOW {
            return Err(invalid(format!("window must be at most {MAX_WINDOW}")));
        }
        let step = self.step(unix)?;
        let nearest_first = (0..=u64::from(window)).flat_map(move |distance| {
            let before = step.checked_sub(distance);
            let after = step.checked_add(distance).filter(|_| distance > 0);
            before.into_iter().chain(after)
        });
        self.generator.find(code, nearest_first)
    }

    /// The hash under HMAC.
    pub fn algorithm(&self) -> Algorithm {
        self.generator.algorithm
    }

    /// The number of characters of a code (5 for Steam Guard).
    pub fn digits(&self) -> u32 {
        self.generator.format.digits()
    }

    /// The step length in seconds.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The Unix time at which step 0 starts.
    pub fn t0(&self) -> i64 {
        self.t0
    }

    /// Whether codes are Steam Guard ones.
    pub fn is_steam(&self) -> bool {
        self.generator.format == Format::Steam
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

//! `Totp`, `Hotp` and `CodeWithValidity`.
//!
//! The core has no clock: every time is a Unix time in seconds. Where a
//! Python method's `unix` is omitted, "now" is `int(time.time())`, looked up
//! on the `time` module at each call (so tools that patch `time.time`, such
//! as freezegun, are honoured).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use sealvault::totp::Algorithm;

use crate::error::Result;

/// `int(time.time())`.
fn now(py: Python<'_>) -> PyResult<i64> {
    static TIME: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let time = TIME.get_or_try_init(py, || py.import("time").map(Bound::unbind))?;
    let seconds: f64 = time
        .bind(py)
        .getattr(pyo3::intern!(py, "time"))?
        .call0()?
        .extract()?;
    // Saturating float-to-int cast; floor so a negative time rounds down.
    Ok(seconds.floor() as i64)
}

fn unix_or_now(py: Python<'_>, unix: Option<i64>) -> PyResult<i64> {
    unix.map_or_else(|| now(py), Ok)
}

fn algorithm(name: &str) -> Result<Algorithm> {
    Ok(name.parse::<Algorithm>()?)
}

/// A time-based one-time-password generator (RFC 6238; Steam Guard too).
#[pyclass(module = "sealvault._native", frozen)]
pub struct Totp {
    pub(crate) inner: sealvault::Totp,
}

#[pymethods]
impl Totp {
    /// A generator from a base32 secret as users paste it.
    #[new]
    #[pyo3(signature = (secret_b32, digits=6, period=30, algorithm="SHA1", *, t0=0, issuer=None, account=None))]
    fn py_new(
        secret_b32: &str,
        digits: u32,
        period: u64,
        algorithm: &str,
        t0: i64,
        issuer: Option<&str>,
        account: Option<&str>,
    ) -> Result<Self> {
        let mut inner =
            sealvault::Totp::from_base32(secret_b32, digits, period, self::algorithm(algorithm)?)?
                .with_t0(t0);
        if let Some(issuer) = issuer {
            inner = inner.with_issuer(issuer)?;
        }
        if let Some(account) = account {
            inner = inner.with_account(account)?;
        }
        Ok(Self { inner })
    }

    /// Parses an `otpauth://totp/…` (or Steam) URI.
    #[staticmethod]
    fn from_uri(uri: &str) -> Result<Self> {
        Ok(Self {
            inner: sealvault::Totp::from_uri(uri)?,
        })
    }

    /// A Steam Guard generator from a base32 secret.
    #[staticmethod]
    fn steam(secret_b32: &str) -> Result<Self> {
        Ok(Self {
            inner: sealvault::Totp::steam(sealvault::totp::Secret::from_base32(secret_b32)?),
        })
    }

    /// The `otpauth://` URI (it holds the secret).
    fn to_uri(&self) -> String {
        self.inner.to_uri().as_str().to_owned()
    }

    /// The code at a Unix time.
    fn at(&self, unix: i64) -> Result<String> {
        Ok(self.inner.at(unix)?)
    }

    /// The code now.
    fn now(&self, py: Python<'_>) -> Result<String> {
        Ok(self.inner.at(now(py)?)?)
    }

    /// The time step at `unix` (default now).
    #[pyo3(signature = (unix=None))]
    fn step(&self, py: Python<'_>, unix: Option<i64>) -> Result<u64> {
        Ok(self.inner.step(unix_or_now(py, unix)?)?)
    }

    /// Seconds until the code at `unix` (default now) expires.
    #[pyo3(signature = (unix=None))]
    fn seconds_left(&self, py: Python<'_>, unix: Option<i64>) -> Result<u64> {
        Ok(self.inner.seconds_left(unix_or_now(py, unix)?)?)
    }

    /// The code to type at `unix` (default now) so that at least
    /// `min_secs` of validity remain: the current one, or the next one and
    /// how long to wait for it.
    #[pyo3(signature = (min_secs, unix=None))]
    fn code_with_validity(
        &self,
        py: Python<'_>,
        min_secs: u64,
        unix: Option<i64>,
    ) -> Result<CodeWithValidity> {
        let found = self
            .inner
            .code_with_validity(min_secs, unix_or_now(py, unix)?)?;
        Ok(CodeWithValidity {
            code: found.code,
            valid_for_secs: found.valid_for_secs,
            wait_secs: found.wait_secs,
        })
    }

    /// Checks `code` at `unix` (default now) within `window` steps each
    /// side; the matched step, or None. A verifier must refuse a step it
    /// has already accepted.
    #[pyo3(signature = (code, unix=None, window=1))]
    fn verify(
        &self,
        py: Python<'_>,
        code: &str,
        unix: Option<i64>,
        window: u32,
    ) -> Result<Option<u64>> {
        Ok(self.inner.verify(code, unix_or_now(py, unix)?, window)?)
    }

    /// `SHA1`, `SHA256` or `SHA512`.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    /// Code length (5 for Steam Guard).
    #[getter]
    fn digits(&self) -> u32 {
        self.inner.digits()
    }

    /// Step length in seconds.
    #[getter]
    fn period(&self) -> u64 {
        self.inner.period()
    }

    /// Unix time at which step 0 starts.
    #[getter]
    fn t0(&self) -> i64 {
        self.inner.t0()
    }

    /// Whether codes are Steam Guard ones.
    #[getter]
    fn is_steam(&self) -> bool {
        self.inner.is_steam()
    }

    /// The issuer of the URI label, if any.
    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.inner.issuer()
    }

    /// The account of the URI label ("" when none).
    #[getter]
    fn account(&self) -> &str {
        self.inner.account()
    }

    fn __repr__(&self) -> String {
        format!(
            "Totp(issuer={:?}, account={:?}, algorithm='{}', digits={}, period={}, secret=[redacted])",
            self.inner.issuer().unwrap_or(""),
            self.inner.account(),
            self.inner.algorithm(),
            self.inner.digits(),
            self.inner.period()
        )
    }
}

/// A counter-based one-time-password generator (RFC 4226).
#[pyclass(module = "sealvault._native", frozen)]
pub struct Hotp {
    inner: sealvault::Hotp,
}

#[pymethods]
impl Hotp {
    /// A generator from a base32 secret as users paste it.
    #[new]
    #[pyo3(signature = (secret_b32, digits=6, algorithm="SHA1", *, counter=0, issuer=None, account=None))]
    fn py_new(
        secret_b32: &str,
        digits: u32,
        algorithm: &str,
        counter: u64,
        issuer: Option<&str>,
        account: Option<&str>,
    ) -> Result<Self> {
        let mut inner =
            sealvault::Hotp::from_base32(secret_b32, digits, self::algorithm(algorithm)?)?
                .with_counter(counter);
        if let Some(issuer) = issuer {
            inner = inner.with_issuer(issuer)?;
        }
        if let Some(account) = account {
            inner = inner.with_account(account)?;
        }
        Ok(Self { inner })
    }

    /// Parses an `otpauth://hotp/…` URI.
    #[staticmethod]
    fn from_uri(uri: &str) -> Result<Self> {
        Ok(Self {
            inner: sealvault::Hotp::from_uri(uri)?,
        })
    }

    /// The `otpauth://` URI (it holds the secret).
    fn to_uri(&self) -> String {
        self.inner.to_uri().as_str().to_owned()
    }

    /// The code for a counter value.
    fn at(&self, counter: u64) -> Result<String> {
        Ok(self.inner.at_counter(counter)?)
    }

    /// Checks `code` against counters `counter ..= counter + look_ahead`;
    /// the matched counter, or None.
    #[pyo3(signature = (code, counter, look_ahead=0))]
    fn verify(&self, code: &str, counter: u64, look_ahead: u32) -> Result<Option<u64>> {
        Ok(self.inner.verify(code, counter, look_ahead)?)
    }

    /// `SHA1`, `SHA256` or `SHA512`.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    /// Code length.
    #[getter]
    fn digits(&self) -> u32 {
        self.inner.digits()
    }

    /// The counter the URI carries.
    #[getter]
    fn counter(&self) -> u64 {
        self.inner.counter()
    }

    /// The issuer of the URI label, if any.
    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.inner.issuer()
    }

    /// The account of the URI label ("" when none).
    #[getter]
    fn account(&self) -> &str {
        self.inner.account()
    }

    fn __repr__(&self) -> String {
        format!(
            "Hotp(issuer={:?}, account={:?}, algorithm='{}', digits={}, secret=[redacted])",
            self.inner.issuer().unwrap_or(""),
            self.inner.account(),
            self.inner.algorithm(),
            self.inner.digits()
        )
    }
}

/// A code with at least the asked validity: type `code` after waiting
/// `wait_secs`; it then stays valid for `valid_for_secs`.
#[pyclass(module = "sealvault._native", frozen, get_all)]
pub struct CodeWithValidity {
    /// The code to type.
    code: String,
    /// Seconds the code stays valid once it is current.
    valid_for_secs: u64,
    /// Seconds to wait before the code is current (0: now).
    wait_secs: u64,
}

#[pymethods]
impl CodeWithValidity {
    fn __repr__(&self) -> String {
        format!(
            "CodeWithValidity(code=[redacted], valid_for_secs={}, wait_secs={})",
            self.valid_for_secs, self.wait_secs
        )
    }
}

//! `Totp`, `Hotp` and `decodeTotpSecret`.

use js_sys::Object;
use sealvault::totp::{Algorithm, Hotp, Secret, Totp};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::bytes::SecretBytes;
use crate::convert::{
    CodeWithValidityOut, HotpOptionsArg, SecretArg, TotpOptionsArg, get, integer, opt_integer,
    secret_bytes, set,
};
use crate::error::{Result, core, invalid};

fn secret(value: &SecretArg) -> Result<Secret> {
    let value: &JsValue = value.as_ref();
    match value.as_string() {
        Some(text) => {
            let text = Zeroizing::new(text);
            core(Secret::from_base32(&text))
        }
        None => core(Secret::from_bytes(&secret_bytes(value, "secret")?)),
    }
}

fn algorithm(options: &JsValue) -> Result<Algorithm> {
    match get(options, "algorithm")? {
        None => Ok(Algorithm::Sha1),
        Some(v) => core(
            v.as_string()
                .ok_or_else(|| invalid("algorithm must be a string"))?
                .parse(),
        ),
    }
}

fn options(value: Option<&JsValue>) -> JsValue {
    value.cloned().unwrap_or_else(|| Object::new().into())
}

fn unix(value: Option<f64>) -> Result<i64> {
    match value {
        Some(v) => integer(v, "unix", true),
        None => integer((js_sys::Date::now() / 1000.0).floor(), "unix", true),
    }
}

/// Decodes a base32 TOTP secret as users paste it (any case, padding,
/// spaces or hyphens).
#[wasm_bindgen(js_name = decodeTotpSecret)]
pub fn decode_totp_secret(text: &str) -> Result<SecretBytes> {
    let secret = core(Secret::from_base32(text))?;
    Ok(SecretBytes::new(Zeroizing::new(
        secret.expose_secret().to_vec(),
    )))
}

/// A TOTP generator (RFC 6238, or Steam Guard). Times are Unix seconds;
/// methods whose `unix` is omitted use `Date.now()`.
#[wasm_bindgen(js_name = Totp)]
pub struct JsTotp {
    inner: Totp,
}

impl JsTotp {
    /// The core generator (for the client's `putCredential`).
    pub(crate) fn into_inner(self) -> Totp {
        self.inner
    }
}

#[wasm_bindgen(js_class = Totp)]
impl JsTotp {
    /// A copy made inside wasm, so that the client can take a `Totp`
    /// argument without consuming the caller's object or exposing the
    /// secret as a JS string.
    #[wasm_bindgen(js_name = "__sealvaultCopy", skip_typescript)]
    pub fn copy_for_client(&self) -> Result<JsTotp> {
        Ok(JsTotp {
            inner: core(Totp::from_uri(&self.inner.to_uri()))?,
        })
    }

    /// From a base32 string or raw bytes; options default to SHA1, 6
    /// digits, 30 seconds, t0 0.
    #[wasm_bindgen(constructor)]
    pub fn new(secret: SecretArg, options: Option<TotpOptionsArg>) -> Result<JsTotp> {
        let options = self::options(options.as_ref().map(|o| o.as_ref()));
        let digits = opt_integer(&options, "digits", false)?.unwrap_or(6);
        let period = opt_integer(&options, "period", false)?.unwrap_or(30);
        let t0 = opt_integer(&options, "t0", true)?.unwrap_or(0);
        let digits = u32::try_from(digits).map_err(|_| invalid("digits out of range"))?;
        let totp = core(Totp::new(
            self::secret(&secret)?,
            algorithm(&options)?,
            digits,
            period as u64,
        ))?;
        Ok(JsTotp {
            inner: totp.with_t0(t0),
        })
    }

    /// A Steam Guard generator.
    pub fn steam(secret: SecretArg) -> Result<JsTotp> {
        Ok(JsTotp {
            inner: Totp::steam(self::secret(&secret)?),
        })
    }

    /// Parses an `otpauth://totp/…` (or Steam) URI.
    #[wasm_bindgen(js_name = fromUri)]
    pub fn from_uri(uri: &str) -> Result<JsTotp> {
        Ok(JsTotp {
            inner: core(Totp::from_uri(uri))?,
        })
    }

    /// The `otpauth://` URI (it contains the secret).
    #[wasm_bindgen(js_name = toUri)]
    pub fn to_uri(&self) -> String {
        self.inner.to_uri().to_string()
    }

    /// The code at `unix`.
    pub fn at(&self, unix: f64) -> Result<String> {
        core(self.inner.at(self::unix(Some(unix))?))
    }

    /// The code now (`Date.now()`).
    pub fn now(&self) -> Result<String> {
        core(self.inner.at(self::unix(None)?))
    }

    /// The step number at `unix` (default now).
    pub fn step(&self, unix: Option<f64>) -> Result<f64> {
        Ok(core(self.inner.step(self::unix(unix)?))? as f64)
    }

    /// Seconds until the code at `unix` (default now) expires.
    #[wasm_bindgen(js_name = secondsLeft)]
    pub fn seconds_left(&self, unix: Option<f64>) -> Result<f64> {
        Ok(core(self.inner.seconds_left(self::unix(unix)?))? as f64)
    }

    /// The code to type so that at least `minSecs` remain, and when.
    #[wasm_bindgen(js_name = codeWithValidity)]
    pub fn code_with_validity(
        &self,
        #[wasm_bindgen(js_name = minSecs)] min_secs: f64,
        unix: Option<f64>,
    ) -> Result<CodeWithValidityOut> {
        let min_secs = integer(min_secs, "minSecs", false)? as u64;
        let found = core(self.inner.code_with_validity(min_secs, self::unix(unix)?))?;
        let out = Object::new();
        set(&out, "code", &JsValue::from_str(&found.code))?;
        set(
            &out,
            "validForSecs",
            &JsValue::from(found.valid_for_secs as f64),
        )?;
        set(&out, "waitSecs", &JsValue::from(found.wait_secs as f64))?;
        Ok(out.unchecked_into())
    }

    /// Checks `code` at `unix` (default now) with `window` steps each side
    /// (default 1): the matched step, or `null`. Refuse that step later.
    pub fn verify(
        &self,
        code: &str,
        unix: Option<f64>,
        window: Option<u32>,
    ) -> Result<Option<f64>> {
        let found = core(
            self.inner
                .verify(code, self::unix(unix)?, window.unwrap_or(1)),
        )?;
        Ok(found.map(|s| s as f64))
    }

    /// "SHA1", "SHA256" or "SHA512".
    #[wasm_bindgen(getter)]
    pub fn algorithm(&self) -> String {
        self.inner.algorithm().as_str().into()
    }

    /// Number of digits (5 for Steam).
    #[wasm_bindgen(getter)]
    pub fn digits(&self) -> u32 {
        self.inner.digits()
    }

    /// Period in seconds.
    #[wasm_bindgen(getter)]
    pub fn period(&self) -> f64 {
        self.inner.period() as f64
    }

    /// Unix time of step 0.
    #[wasm_bindgen(getter)]
    pub fn t0(&self) -> f64 {
        self.inner.t0() as f64
    }

    /// Whether this renders Steam Guard codes.
    #[wasm_bindgen(getter, js_name = isSteam)]
    pub fn is_steam(&self) -> bool {
        self.inner.is_steam()
    }

    /// The URI's issuer, if any.
    #[wasm_bindgen(getter)]
    pub fn issuer(&self) -> Option<String> {
        self.inner.issuer().map(str::to_owned)
    }

    /// The URI's account name.
    #[wasm_bindgen(getter)]
    pub fn account(&self) -> String {
        self.inner.account().to_owned()
    }

    /// `Totp([redacted])`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "Totp([redacted])".into()
    }
}

/// A counter-based generator (RFC 4226).
#[wasm_bindgen(js_name = Hotp)]
pub struct JsHotp {
    inner: Hotp,
}

#[wasm_bindgen(js_class = Hotp)]
impl JsHotp {
    /// From a base32 string or raw bytes; options default to SHA1, 6 digits, counter 0.
    #[wasm_bindgen(constructor)]
    pub fn new(secret: SecretArg, options: Option<HotpOptionsArg>) -> Result<JsHotp> {
        let options = self::options(options.as_ref().map(|o| o.as_ref()));
        let digits = opt_integer(&options, "digits", false)?.unwrap_or(6);
        let counter = opt_integer(&options, "counter", false)?.unwrap_or(0);
        let digits = u32::try_from(digits).map_err(|_| invalid("digits out of range"))?;
        let hotp = core(Hotp::new(
            self::secret(&secret)?,
            algorithm(&options)?,
            digits,
        ))?;
        Ok(JsHotp {
            inner: hotp.with_counter(counter as u64),
        })
    }

    /// Parses an `otpauth://hotp/…` URI.
    #[wasm_bindgen(js_name = fromUri)]
    pub fn from_uri(uri: &str) -> Result<JsHotp> {
        Ok(JsHotp {
            inner: core(Hotp::from_uri(uri))?,
        })
    }

    /// The `otpauth://` URI (it contains the secret).
    #[wasm_bindgen(js_name = toUri)]
    pub fn to_uri(&self) -> String {
        self.inner.to_uri().to_string()
    }

    /// The code for `counter`.
    #[wasm_bindgen(js_name = atCounter)]
    pub fn at_counter(&self, counter: f64) -> Result<String> {
        core(
            self.inner
                .at_counter(integer(counter, "counter", false)? as u64),
        )
    }

    /// Checks `code` against counters `counter..=counter+lookAhead`: the
    /// matched counter, or `null`.
    pub fn verify(
        &self,
        code: &str,
        counter: f64,
        #[wasm_bindgen(js_name = lookAhead)] look_ahead: Option<u32>,
    ) -> Result<Option<f64>> {
        let counter = integer(counter, "counter", false)? as u64;
        let found = core(self.inner.verify(code, counter, look_ahead.unwrap_or(0)))?;
        Ok(found.map(|c| c as f64))
    }

    /// "SHA1", "SHA256" or "SHA512".
    #[wasm_bindgen(getter)]
    pub fn algorithm(&self) -> String {
        self.inner.algorithm().as_str().into()
    }

    /// Number of digits.
    #[wasm_bindgen(getter)]
    pub fn digits(&self) -> u32 {
        self.inner.digits()
    }

    /// The URI's counter.
    #[wasm_bindgen(getter)]
    pub fn counter(&self) -> f64 {
        self.inner.counter() as f64
    }

    /// The URI's issuer, if any.
    #[wasm_bindgen(getter)]
    pub fn issuer(&self) -> Option<String> {
        self.inner.issuer().map(str::to_owned)
    }

    /// The URI's account name.
    #[wasm_bindgen(getter)]
    pub fn account(&self) -> String {
        self.inner.account().to_owned()
    }

    /// `Hotp([redacted])`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        "Hotp([redacted])".into()
    }
}

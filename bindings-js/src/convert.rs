//! JavaScript values to core types (and back). Type conversion only.

use js_sys::{Array, Object, Reflect, Uint8Array};
use sealvault::Context;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

use crate::error::{Result, core, invalid};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** An envelope context: string keys to string values. */
export type Context = Record<string, string>;
/** What `inspect` reveals of an envelope without a key. */
export interface Inspection { version: number; suite: number; keyId: string; context: Context; }
/** Envelope kinds of `sealItem` / `itemContext`. */
export type Kind = "credential" | "totp-seed" | "session-state";
/** Arguments of `sealItem`. */
export interface SealItemOptions {
  kind: Kind; user: string; item: string; version: number;
  /** The credential config (kind "credential" only). */
  config?: object | null;
  plaintext: Uint8Array;
  /** Extra context entries (no "sv:" keys). */
  extra?: Context | null;
}
/** Options of `new Totp(secret, options)`. */
export interface TotpOptions { digits?: number; period?: number; algorithm?: "SHA1" | "SHA256" | "SHA512"; t0?: number; }
/** Options of `new Hotp(secret, options)`. */
export interface HotpOptions { digits?: number; algorithm?: "SHA1" | "SHA256" | "SHA512"; counter?: number; }
/** A code and when to type it. */
export interface CodeWithValidity { code: string; validForSecs: number; waitSecs: number; }
"#;

#[wasm_bindgen]
extern "C" {
    /// `Record<string, string>`.
    #[wasm_bindgen(typescript_type = "Context")]
    pub type ContextArg;
    /// `Inspection`.
    #[wasm_bindgen(typescript_type = "Inspection")]
    pub type InspectionOut;
    /// `SealItemOptions`.
    #[wasm_bindgen(typescript_type = "SealItemOptions")]
    pub type SealItemArg;
    /// A JSON object (credential config).
    #[wasm_bindgen(typescript_type = "object")]
    pub type JsonArg;
    /// `string | Uint8Array` (base32 text or raw bytes).
    #[wasm_bindgen(typescript_type = "string | Uint8Array")]
    pub type SecretArg;
    /// `TotpOptions`.
    #[wasm_bindgen(typescript_type = "TotpOptions")]
    pub type TotpOptionsArg;
    /// `HotpOptions`.
    #[wasm_bindgen(typescript_type = "HotpOptions")]
    pub type HotpOptionsArg;
    /// `CodeWithValidity`.
    #[wasm_bindgen(typescript_type = "CodeWithValidity")]
    pub type CodeWithValidityOut;
}

/// Copies a `Uint8Array` into a buffer wiped on drop.
pub fn secret_bytes(value: &JsValue, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let array = value
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| invalid(format!("{what} must be a Uint8Array")))?;
    let mut out = Zeroizing::new(vec![0u8; array.length() as usize]);
    array.copy_to(&mut out);
    Ok(out)
}

/// A JS object of strings as a core context (`undefined`/`null`: empty).
pub fn to_context(value: Option<&JsValue>) -> Result<Context> {
    let mut context = Context::new();
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(context);
    };
    if !value.is_object() || Array::is_array(value) {
        return Err(invalid("a context must be an object of strings"));
    }
    for entry in Object::entries(value.unchecked_ref()).iter() {
        let pair: Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let val = pair
            .get(1)
            .as_string()
            .ok_or_else(|| invalid("context values must be strings"))?;
        core(context.insert(key, val))?;
    }
    Ok(context)
}

/// A core context as a plain JS object.
pub fn from_context(context: &Context) -> Result<JsValue> {
    let out = Object::new();
    for (key, value) in context.iter() {
        set(&out, key, &JsValue::from_str(value))?;
    }
    Ok(out.into())
}

/// Sets `object[key] = value`.
pub fn set(object: &Object, key: &str, value: &JsValue) -> Result<()> {
    Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

/// `object[key]`, `None` when undefined or null.
pub fn get(object: &JsValue, key: &str) -> Result<Option<JsValue>> {
    let value = Reflect::get(object, &JsValue::from_str(key))?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

/// A required string field.
pub fn get_string(object: &JsValue, key: &str) -> Result<String> {
    get(object, key)?
        .and_then(|v| v.as_string())
        .ok_or_else(|| invalid(format!("{key} must be a string")))
}

/// A JS object as JSON (via `JSON.stringify`).
pub fn to_json(value: &JsValue) -> Result<serde_json::Value> {
    let text = js_sys::JSON::stringify(value)?
        .as_string()
        .ok_or_else(|| invalid("config must be a JSON object"))?;
    serde_json::from_str(&text).map_err(|_| invalid("config must be a JSON object"))
}

/// A JS number that must be an integer in `0..=2^53` (or any sign when `signed`).
pub fn integer(value: f64, what: &str, signed: bool) -> Result<i64> {
    const MAX: f64 = 9_007_199_254_740_992.0;
    let ok =
        value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX && (signed || value >= 0.0);
    if !ok {
        return Err(invalid(format!("{what} must be a safe integer")));
    }
    Ok(value as i64)
}

/// An optional integer field of an options object.
pub fn opt_integer(object: &JsValue, key: &str, signed: bool) -> Result<Option<i64>> {
    match get(object, key)? {
        None => Ok(None),
        Some(v) => {
            let n = v
                .as_f64()
                .ok_or_else(|| invalid(format!("{key} must be a number")))?;
            integer(n, key, signed).map(Some)
        }
    }
}

//! The one mapping of core errors to JavaScript: a `SealVaultError`
//! (defined by the package's loader, `js/errors.*`) carrying `.code`;
//! vault client errors add `.status` and the details the vault sent.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use sealvault::client::ClientError;
use wasm_bindgen::prelude::*;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called once by the loader with the `SealVaultError` class, so that
/// every error thrown from wasm is an instance of it.
#[wasm_bindgen(js_name = "__registerErrorClass", skip_typescript)]
pub fn register_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

/// Result of every exported function: the error is a `SealVaultError`.
pub type Result<T> = std::result::Result<T, JsValue>;

/// Converts a core error into the `SealVaultError` the caller sees.
pub fn to_js(error: sealvault::Error) -> JsValue {
    make(error.code(), &error.to_string())
}

/// Converts a vault client error: the same class and `.code`, plus
/// `.status` (API errors), `.currentVersion`, `.currentKeyId` and
/// `.retryAfterSecs` when the vault sent them, and `.sent` (transport).
pub fn client_to_js(error: ClientError) -> JsValue {
    let made = make(error.code(), &error.to_string());
    let put = |key: &str, value: JsValue| {
        let _ = Reflect::set(&made, &JsValue::from_str(key), &value);
    };
    if let Some(api) = error.api() {
        put("status", JsValue::from(api.status));
        if let Some(v) = api.current_version {
            put("currentVersion", JsValue::from(v as f64));
        }
        if let Some(k) = api.current_key_id {
            put("currentKeyId", JsValue::from_str(&k.to_hex()));
        }
        if let Some(s) = api.retry_after_secs {
            put("retryAfterSecs", JsValue::from(s as f64));
        }
    }
    if let ClientError::Transport { sent, .. } = &error {
        put("sent", JsValue::from_bool(*sent));
    }
    made
}

fn make(code: &str, message: &str) -> JsValue {
    let code = JsValue::from_str(code);
    let registered = ERROR_CLASS.with(|c| c.borrow().clone());
    if let Some(class) = registered
        && let Ok(made) =
            Reflect::construct(&class, &Array::of2(&JsValue::from_str(message), &code))
    {
        return made;
    }
    // No loader (the raw wasm-bindgen output used directly): still an Error with a code.
    let fallback = js_sys::Error::new(message);
    fallback.set_name("SealVaultError");
    let _ = Reflect::set(&fallback, &JsValue::from_str("code"), &code);
    fallback.into()
}

/// Lifts a core result.
pub fn core<T>(result: sealvault::Result<T>) -> Result<T> {
    result.map_err(to_js)
}

/// An `invalid_request` error for a JavaScript argument of the wrong type.
pub fn invalid(message: impl Into<String>) -> JsValue {
    to_js(sealvault::Error::InvalidRequest(message.into()))
}

//! The one mapping of core errors to JavaScript: a `SealVaultError`
//! (defined by the package's loader, `js/errors.*`) carrying `.code`.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
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
    let code = JsValue::from_str(error.code());
    let message = JsValue::from_str(&error.to_string());
    let registered = ERROR_CLASS.with(|c| c.borrow().clone());
    if let Some(class) = registered
        && let Ok(made) = Reflect::construct(&class, &Array::of2(&message, &code))
    {
        return made;
    }
    // No loader (the raw wasm-bindgen output used directly): still an Error with a code.
    let fallback = js_sys::Error::new(&error.to_string());
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

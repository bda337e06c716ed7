//! # `sealvault._native`
//!
//! The PyO3 extension behind the `sealvault` Python package. It holds no
//! logic of its own: every function converts Python values to core types,
//! calls the core crate [`sealvault`], and maps its errors (by their stable
//! code) to the exception classes of `sealvault/errors.py`.
//!
//! The Python-facing documentation lives in `python/sealvault/__init__.py`
//! and the typed stubs in `python/sealvault/_native.pyi`, which
//! `mypy.stubtest` checks against this module.

mod buffer;
mod client;
mod envelope;
mod error;
mod json;
mod keys;
mod secret;
mod totp;

use pyo3::prelude::*;

/// The native module `sealvault._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<buffer::SecretBytes>()?;
    m.add_class::<secret::SecretStr>()?;
    m.add_class::<keys::DataKey>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Session>()?;
    m.add_class::<client::Credential>()?;
    m.add_class::<client::OneTimeCode>()?;
    m.add_class::<client::TfaCode>()?;
    m.add_class::<totp::Totp>()?;
    m.add_class::<totp::Hotp>()?;
    m.add_class::<totp::CodeWithValidity>()?;
    m.add_function(wrap_pyfunction!(envelope::seal, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::seal_item, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::open, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::envelope_key, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::open_with_envelope_key, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::inspect, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::item_context, m)?)?;
    m.add_function(wrap_pyfunction!(envelope::config_hash, m)?)?;
    m.add_function(wrap_pyfunction!(keys::state_key, m)?)?;
    Ok(())
}

//! Envelopes: seal, open, envelope keys, inspection, item contexts.

use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use sealvault::{Context, EnvelopeKey, ItemInfo, Kind};

use crate::buffer::{Bytes, DETACH_ABOVE, SecretBytes};
use crate::error::Result;
use crate::json::{from_context, to_context, to_json};
use crate::keys::DataKey;

/// Runs `f` with the GIL released when it works on more than
/// [`DETACH_ABOVE`] bytes.
fn bulk<T: Ungil, F: Ungil + FnOnce() -> T>(py: Python<'_>, len: usize, f: F) -> T {
    if len > DETACH_ABOVE {
        py.detach(f)
    } else {
        f()
    }
}

/// Seals `plaintext` under `dk` with a caller context (no `sv:` keys).
#[pyfunction]
#[pyo3(signature = (dk, plaintext, context=None))]
pub fn seal<'py>(
    py: Python<'py>,
    dk: &DataKey,
    plaintext: &Bound<'py, PyAny>,
    context: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyBytes>> {
    let plaintext = Bytes::extract(plaintext, "plaintext")?.open_or_err()?;
    let context = to_context(context)?;
    let data = plaintext.as_slice();
    let envelope = bulk(py, data.len(), || {
        sealvault::seal(&dk.inner, data, &context)
    })?;
    Ok(PyBytes::new(py, &envelope))
}

/// Parses an envelope kind name.
fn kind(name: &str) -> Result<Kind> {
    Ok(name.parse::<Kind>()?)
}

/// Seals an item envelope: the `sv:` context of kind, user, item, version
/// (and, for a credential, the config hash) plus the caller's `extra`.
#[pyfunction]
#[pyo3(signature = (dk, *, kind, user, item, version, config=None, plaintext, extra=None))]
#[allow(clippy::too_many_arguments)]
pub fn seal_item<'py>(
    py: Python<'py>,
    dk: &DataKey,
    kind: &str,
    user: &str,
    item: &str,
    version: u64,
    config: Option<&Bound<'py, PyAny>>,
    plaintext: &Bound<'py, PyAny>,
    extra: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyBytes>> {
    let plaintext = Bytes::extract(plaintext, "plaintext")?.open_or_err()?;
    let config = config.map(to_json).transpose()?;
    let info = ItemInfo {
        kind: self::kind(kind)?,
        user,
        item,
        version,
        config: config.as_ref(),
    };
    let extra = to_context(extra)?;
    let data = plaintext.as_slice();
    let envelope = bulk(py, data.len(), || {
        sealvault::seal_item(&dk.inner, &info, &extra, data)
    })?;
    Ok(PyBytes::new(py, &envelope))
}

/// Opens an envelope with its data key (or state key), checking that every
/// entry of `expected` is in its context.
#[pyfunction]
#[pyo3(signature = (dk, envelope, expected=None))]
pub fn open<'py>(
    py: Python<'py>,
    dk: &DataKey,
    envelope: &Bound<'py, PyAny>,
    expected: Option<&Bound<'py, PyAny>>,
) -> Result<SecretBytes> {
    let envelope = Bytes::extract(envelope, "envelope")?.open_or_err()?;
    let expected = to_context(expected)?;
    let data = envelope.as_slice();
    let plaintext = bulk(py, data.len(), || {
        sealvault::open(&dk.inner, data, &expected)
    })?;
    Ok(SecretBytes::new(plaintext))
}

/// The envelope key of `envelope` (checks key id and commitment).
#[pyfunction]
pub fn envelope_key(dk: &DataKey, envelope: &Bound<'_, PyAny>) -> Result<SecretBytes> {
    let envelope = Bytes::extract(envelope, "envelope")?.open_or_err()?;
    let ek = sealvault::envelope_key(&dk.inner, envelope.as_slice())?;
    Ok(SecretBytes::new(zeroize::Zeroizing::new(
        ek.expose_secret().to_vec(),
    )))
}

/// Opens an envelope with its own envelope key (a `SecretBytes` or 32
/// bytes-like), checking `expected`.
#[pyfunction]
#[pyo3(signature = (ek, envelope, expected=None))]
pub fn open_with_envelope_key<'py>(
    py: Python<'py>,
    ek: &Bound<'py, PyAny>,
    envelope: &Bound<'py, PyAny>,
    expected: Option<&Bound<'py, PyAny>>,
) -> Result<SecretBytes> {
    let ek = EnvelopeKey::from_bytes(Bytes::extract(ek, "ek")?.open_or_err()?.as_slice())?;
    let envelope = Bytes::extract(envelope, "envelope")?.open_or_err()?;
    let expected = to_context(expected)?;
    let data = envelope.as_slice();
    let plaintext = bulk(py, data.len(), || {
        sealvault::open_with_envelope_key(&ek, data, &expected)
    })?;
    Ok(SecretBytes::new(plaintext))
}

/// The header of an envelope, unauthenticated: `{"version", "suite",
/// "key_id", "context"}`.
#[pyfunction]
pub fn inspect<'py>(py: Python<'py>, envelope: &Bound<'py, PyAny>) -> Result<Bound<'py, PyDict>> {
    let envelope = Bytes::extract(envelope, "envelope")?.open_or_err()?;
    let found = sealvault::inspect(envelope.as_slice())?;
    let dict = PyDict::new(py);
    dict.set_item("version", found.version)?;
    dict.set_item("suite", found.suite)?;
    dict.set_item("key_id", found.key_id.to_hex())?;
    dict.set_item("context", from_context(py, &found.context)?)?;
    Ok(dict)
}

/// The `sv:` context an item envelope carries (pass it as `expected`).
#[pyfunction]
#[pyo3(signature = (kind, user, item, version, config=None))]
pub fn item_context<'py>(
    py: Python<'py>,
    kind: &str,
    user: &str,
    item: &str,
    version: u64,
    config: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyDict>> {
    let config = config.map(to_json).transpose()?;
    let info = ItemInfo {
        kind: self::kind(kind)?,
        user,
        item,
        version,
        config: config.as_ref(),
    };
    let ctx: Context = info.context()?;
    Ok(from_context(py, &ctx)?)
}

/// Lowercase hex SHA-256 of `config` in RFC 8785 canonical JSON.
#[pyfunction]
pub fn config_hash(config: &Bound<'_, PyAny>) -> Result<String> {
    Ok(sealvault::config_hash(&to_json(config)?)?)
}

//! Bytes in and secret bytes out.
//!
//! [`Bytes`] reads any bytes-like argument: `bytes` is borrowed without a
//! copy (it is immutable); `bytearray` is copied into a wiped Rust buffer;
//! any other object with the buffer protocol (`memoryview`, `array.array`,
//! …) is copied into a temporary `bytearray`, then into a wiped Rust buffer,
//! and the temporary is zero-filled at once. (abi3 for Python 3.10 has no
//! buffer protocol, so this copy is the only safe way to read them.) A
//! [`SecretBytes`] is read in place.
//!
//! [`SecretBytes`] is the Rust-owned, zeroizing buffer every secret comes
//! back in.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyByteArrayMethods, PyBytes, PyBytesMethods};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Above this many bytes, crypto runs with the GIL released; below it the
/// release costs more than it frees.
pub const DETACH_ABOVE: usize = 4096;

/// A bytes-like argument.
pub enum Bytes<'py> {
    /// An immutable `bytes`, read in place.
    Borrowed(Bound<'py, PyBytes>),
    /// A copy of a mutable buffer, wiped on drop.
    Copied(Zeroizing<Vec<u8>>),
    /// A `SecretBytes`, read in place.
    Secret(PyRef<'py, SecretBytes>),
}

impl<'py> Bytes<'py> {
    /// Reads `obj`, which must be bytes-like (or a `SecretBytes`).
    pub fn extract(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Bytes::Borrowed(bytes.clone()));
        }
        if let Ok(secret) = obj.cast::<SecretBytes>() {
            return Ok(Bytes::Secret(secret.try_borrow()?));
        }
        if let Ok(array) = obj.cast::<PyByteArray>() {
            return Ok(Bytes::Copied(Zeroizing::new(array.to_vec())));
        }
        let py = obj.py();
        let builtins = py.import("builtins")?;
        // memoryview() accepts exactly the objects with the buffer protocol
        // (bytearray(obj) would also take an int or a list of ints).
        let view = builtins.getattr("memoryview")?.call1((obj,)).map_err(|_| {
            PyTypeError::new_err(format!(
                "{what} must be a bytes-like object, not {}",
                type_name(obj)
            ))
        })?;
        let scratch = PyByteArray::from(&view)?;
        view.call_method0("release")?;
        let copied = Zeroizing::new(scratch.to_vec());
        let zeros = PyBytes::new(py, &vec![0u8; copied.len()]);
        scratch.set_item(pyo3::types::PySlice::full(py), zeros)?;
        Ok(Bytes::Copied(copied))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Borrowed(bytes) => bytes.as_bytes(),
            Bytes::Copied(copy) => copy,
            Bytes::Secret(secret) => secret.bytes.as_deref().map_or(&[], |b| &b[..]),
        }
    }

    /// Fails on a closed `SecretBytes` (which reads as empty otherwise).
    pub fn open_or_err(self) -> PyResult<Self> {
        if let Bytes::Secret(secret) = &self {
            secret.get()?;
        }
        Ok(self)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |name| name.to_string())
}

/// A secret byte string owned by Rust and zeroized when closed, when its
/// `with` block exits, or when it is garbage-collected.
///
/// `bytes(x)` and `x.expose()` return a Python copy, which Python cannot
/// wipe: keep such copies short-lived, or pass the `SecretBytes` itself to
/// the functions that take bytes.
#[pyclass(module = "sealvault._native")]
pub struct SecretBytes {
    bytes: Option<Zeroizing<Vec<u8>>>,
}

impl SecretBytes {
    /// Wraps a zeroizing buffer.
    pub fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self { bytes: Some(bytes) }
    }

    fn get(&self) -> PyResult<&[u8]> {
        self.bytes
            .as_deref()
            .map(|b| &b[..])
            .ok_or_else(|| PyValueError::new_err("SecretBytes is closed"))
    }
}

#[pymethods]
impl SecretBytes {
    /// Copies any bytes-like object into a new Rust-owned buffer.
    #[new]
    fn py_new(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = Bytes::extract(data, "data")?.open_or_err()?;
        Ok(Self::new(Zeroizing::new(bytes.as_slice().to_vec())))
    }

    /// A `bytes` copy of the secret (which Python cannot wipe).
    fn expose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, self.get()?))
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.expose(py)
    }

    /// Length in bytes (0 once closed).
    fn __len__(&self) -> usize {
        self.bytes.as_ref().map_or(0, |b| b.len())
    }

    /// Whether the buffer has been wiped.
    #[getter]
    fn closed(&self) -> bool {
        self.bytes.is_none()
    }

    /// Wipes the buffer now; later reads raise `ValueError`.
    fn close(&mut self) {
        self.bytes = None;
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &mut self,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.close();
        false
    }

    /// Constant-time comparison with another `SecretBytes` or bytes-like
    /// object (lengths are not hidden).
    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        if slf.is(other) {
            return Ok(true);
        }
        let Ok(other) = Bytes::extract(other, "other") else {
            return Ok(false);
        };
        let this = slf.borrow();
        let (Some(mine), Ok(theirs)) = (this.bytes.as_deref(), other.open_or_err()) else {
            return Ok(false);
        };
        Ok(mine.as_slice().ct_eq(theirs.as_slice()).into())
    }

    fn __repr__(&self) -> String {
        match &self.bytes {
            Some(bytes) => format!("SecretBytes([redacted], len={})", bytes.len()),
            None => "SecretBytes([closed])".to_owned(),
        }
    }
}

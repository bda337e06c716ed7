//! `SecretStr`: the text counterpart of [`crate::buffer::SecretBytes`], for
//! passwords, tokens and one-time codes the vault client hands out.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A secret string owned by Rust and zeroized when closed, when its `with`
/// block exits, or when it is garbage-collected. `repr()` and `str()` are
/// redacted; `.expose()` returns a Python `str` copy, which Python cannot
/// wipe.
#[pyclass(module = "sealvault._native", frozen)]
pub struct SecretStr {
    text: std::sync::Mutex<Option<Zeroizing<String>>>,
}

impl SecretStr {
    /// Takes the text of a core secret string (the original is wiped on drop).
    pub fn new(text: &str) -> Self {
        Self {
            text: std::sync::Mutex::new(Some(Zeroizing::new(text.to_owned()))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<String>>> {
        self.text
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on the text; `ValueError` once closed.
    pub fn with<T>(&self, f: impl FnOnce(&str) -> T) -> PyResult<T> {
        match self.lock().as_deref() {
            Some(text) => Ok(f(text)),
            None => Err(PyValueError::new_err("SecretStr is closed")),
        }
    }

    /// Wipes the text now.
    pub fn wipe(&self) {
        self.lock().take();
    }
}

/// A `str` or `SecretStr` argument, as a wiping copy.
pub fn extract_secret(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Zeroizing<String>> {
    if let Ok(secret) = obj.cast::<SecretStr>() {
        return secret.get().with(|t| Zeroizing::new(t.to_owned()));
    }
    if let Ok(text) = obj.cast::<PyString>() {
        return Ok(Zeroizing::new(text.to_str()?.to_owned()));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{what} must be str or SecretStr"
    )))
}

#[pymethods]
impl SecretStr {
    /// Copies a `str` into a new Rust-owned secret.
    #[new]
    fn py_new(text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = extract_secret(text, "text")?;
        Ok(Self::new(&text))
    }

    /// A `str` copy of the secret (which Python cannot wipe).
    fn expose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        self.with(|t| PyString::new(py, t))
    }

    /// Length in characters (0 once closed).
    fn __len__(&self) -> usize {
        self.lock().as_ref().map_or(0, |t| t.chars().count())
    }

    /// Whether the text has been wiped.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// Wipes the text now; later reads raise `ValueError`.
    fn close(&self) {
        self.wipe();
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        self.wipe();
        false
    }

    /// Constant-time comparison with a `str` or another `SecretStr`
    /// (lengths are not hidden).
    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        if slf.is(other) {
            return Ok(true);
        }
        let Ok(theirs) = extract_secret(other, "other") else {
            return Ok(false);
        };
        Ok(slf
            .get()
            .with(|mine| bool::from(mine.as_bytes().ct_eq(theirs.as_bytes())))
            .unwrap_or(false))
    }

    fn __repr__(&self) -> String {
        match self.lock().as_ref() {
            Some(_) => "SecretStr([redacted])".to_owned(),
            None => "SecretStr([closed])".to_owned(),
        }
    }

    fn __str__(&self) -> String {
        self.__repr__()
    }
}

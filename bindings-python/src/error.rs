//! The one conversion from core errors to Python exceptions.
//!
//! The exception classes are defined in Python (`sealvault/errors.py`), as
//! pyca/cryptography does, and so is the table of DESIGN §9 that maps each
//! stable code to its class. This side hands over `err.code()` and the
//! message (which the core guarantees holds no secret) and raises what
//! `sealvault.errors._from_code` builds. Errors raised locally carry no HTTP
//! status (`.status is None`).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// A failure of a binding call: a core error, or a Python one (a wrong
/// argument type, an exception raised while converting).
pub enum Error {
    /// An error of the core, raised as its `sealvault.errors` class.
    Core(sealvault::Error),
    /// A Python exception, raised as is.
    Py(PyErr),
}

/// The result type of the binding functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sealvault::Error> for Error {
    fn from(err: sealvault::Error) -> Self {
        Error::Core(err)
    }
}

impl From<PyErr> for Error {
    fn from(err: PyErr) -> Self {
        Error::Py(err)
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::Py(err) => err,
            Error::Core(err) => Python::attach(|py| core_error(py, &err)),
        }
    }
}

/// `sealvault.errors._from_code(code, message)`: the instance of the class
/// DESIGN §9 names for `err.code()`, with `.code` set and `.status` None.
fn core_error(py: Python<'_>, err: &sealvault::Error) -> PyErr {
    static FROM_CODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let built = FROM_CODE
        .get_or_try_init(py, || {
            py.import("sealvault.errors")?
                .getattr("_from_code")
                .map(Bound::unbind)
        })
        .and_then(|from_code| from_code.bind(py).call1((err.code(), err.to_string())));
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => import_failed,
    }
}

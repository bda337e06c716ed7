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
use pyo3::types::PyDict;

/// A failure of a binding call: a core error, or a Python one (a wrong
/// argument type, an exception raised while converting).
pub enum Error {
    /// An error of the core, raised as its `sealvault.errors` class.
    Core(sealvault::Error),
    /// A failure of a vault-client call.
    Client(sealvault::client::ClientError),
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

impl From<sealvault::client::ClientError> for Error {
    fn from(err: sealvault::client::ClientError) -> Self {
        match err {
            sealvault::client::ClientError::Core(err) => Error::Core(err),
            other => Error::Client(other),
        }
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
            Error::Client(err) => Python::attach(|py| client_error(py, &err)),
        }
    }
}

/// `sealvault.errors._from_code(code, message)`: the instance of the class
/// DESIGN §9 names for `err.code()`, with `.code` set and `.status` None.
fn core_error(py: Python<'_>, err: &sealvault::Error) -> PyErr {
    from_code(py, err.code(), &err.to_string(), None, None)
}

/// A client failure as its Python class: an API error with its status and
/// the details of the error body (`current_version`, `current_key_id`,
/// `retry_after_secs`); a transport failure as `TransportError` with
/// `sent`; an unexpected answer as `ProtocolError`.
fn client_error(py: Python<'_>, err: &sealvault::client::ClientError) -> PyErr {
    use sealvault::client::ClientError;
    let details = PyDict::new(py);
    let (message, status) = match err {
        ClientError::Api(api) => {
            let set = || -> PyResult<()> {
                if let Some(version) = api.current_version {
                    details.set_item("current_version", version)?;
                }
                if let Some(key_id) = &api.current_key_id {
                    details.set_item("current_key_id", key_id.to_hex())?;
                }
                if let Some(secs) = api.retry_after_secs {
                    details.set_item("retry_after_secs", secs)?;
                }
                Ok(())
            };
            if let Err(e) = set() {
                return e;
            }
            (api.message.clone(), Some(api.status))
        }
        ClientError::Transport { sent, .. } => {
            if let Err(e) = details.set_item("sent", *sent) {
                return e;
            }
            (err.to_string(), None)
        }
        ClientError::Core(core) => return core_error(py, core),
        _ => (err.to_string(), None),
    };
    from_code(py, err.code(), &message, status, Some(details))
}

fn from_code(
    py: Python<'_>,
    code: &str,
    message: &str,
    status: Option<u16>,
    details: Option<Bound<'_, PyDict>>,
) -> PyErr {
    static FROM_CODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let built = FROM_CODE
        .get_or_try_init(py, || {
            py.import("sealvault.errors")?
                .getattr("_from_code")
                .map(Bound::unbind)
        })
        .and_then(|from_code| from_code.bind(py).call1((code, message, status, details)));
    match built {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => import_failed,
    }
}

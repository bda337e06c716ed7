//! Python values to core values: JSON configs and contexts.

use std::collections::BTreeMap;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use sealvault::Context;

use crate::error::Result;

/// Deepest nesting of a config accepted (a self-referencing dict would
/// otherwise recurse forever).
const MAX_DEPTH: usize = 64;

/// A JSON-compatible Python value (`dict` with `str` keys, `list`, `tuple`,
/// `str`, `int`, `float`, `bool`, `None`) as a `serde_json::Value`.
pub fn to_json(obj: &Bound<'_, PyAny>) -> Result<serde_json::Value> {
    to_json_at(obj, 0)
}

fn to_json_at(obj: &Bound<'_, PyAny>, depth: usize) -> Result<serde_json::Value> {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("config nested too deeply").into());
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = obj.extract::<u64>() {
            return Ok(Value::from(n));
        }
        return Err(
            sealvault::Error::InvalidConfig("integer out of the 64-bit range".into()).into(),
        );
    }
    if let Ok(float) = obj.cast::<PyFloat>() {
        return serde_json::Number::from_f64(float.value())
            .map(Value::Number)
            .ok_or_else(|| {
                sealvault::Error::InvalidConfig("NaN and infinity are not JSON".into()).into()
            });
    }
    if let Ok(text) = obj.cast::<PyString>() {
        return Ok(Value::String(text.to_str()?.to_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key = key
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("config keys must be str"))?;
            map.insert(key.to_str()?.to_owned(), to_json_at(&value, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj
            .try_iter()?
            .map(|item| to_json_at(&item?, depth + 1))
            .collect::<Result<Vec<_>>>()?;
        return Ok(Value::Array(items));
    }
    Err(PyTypeError::new_err(format!(
        "config values must be JSON-compatible (dict, list, str, int, float, bool, None), not {}",
        obj.get_type().name()?
    ))
    .into())
}

/// A `dict[str, str]` (or None) as a context.
pub fn to_context(obj: Option<&Bound<'_, PyAny>>) -> Result<Context> {
    let Some(obj) = obj.filter(|obj| !obj.is_none()) else {
        return Ok(Context::new());
    };
    let map: BTreeMap<String, String> = obj.extract()?;
    Ok(Context::try_from(map)?)
}

/// A context as a `dict[str, str]`.
pub fn from_context<'py>(py: Python<'py>, ctx: &Context) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in ctx.iter() {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// A JSON value as Python (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub fn from_json<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use pyo3::IntoPyObjectExt;
    use serde_json::Value;
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(flag) => flag.into_bound_py_any(py),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_bound_py_any(py),
            (None, Some(u)) => u.into_bound_py_any(py),
            _ => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py),
        },
        Value::String(text) => text.into_bound_py_any(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(from_json(py, item)?)?;
            }
            Ok(list.into_any())
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, from_json(py, item)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

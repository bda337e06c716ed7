//! Interop driver for the independent Python implementation in
//! `tests/independent` (it checks that docs/FORMAT.md is enough to
//! interoperate with this crate).
//!
//! Reads one JSON request on stdin and writes one JSON response on stdout:
//!
//! ```text
//! {"op": "<op>", "cases": [{...}, ...]}  ->  {"results": [{...}, ...]}
//! ```
//!
//! Every result has `"ok": true` plus the op's outputs, or `"ok": false` and
//! either `"code"` (the crate's `Error::code()`) or `"protocol_error"` (a bad
//! request to this driver). Byte strings are lowercase hex; contexts are JSON
//! objects or lists of `[key, value]` pairs (inserted in that order with
//! `Context::insert`).
//!
//! | op | case fields | outputs |
//! |---|---|---|
//! | `open` | `key_id`, `key`, `envelope`, `expected_context` | `plaintext` |
//! | `open_ek` | `envelope_key`, `envelope`, `expected_context` | `plaintext` |
//! | `envelope_key` | `key_id`, `key`, `envelope` | `envelope_key` |
//! | `seal` | `key_id`, `key`, `plaintext`, `context` | `envelope` (`sealvault::seal`) |
//! | `seal_any` | same | `envelope` (`hazmat::seal_deterministic`, random salt and nonce; `sv:` keys allowed) |
//! | `seal_deterministic` | same + `salt`, `nonce` | `envelope` |
//! | `state_key` | `key_id`, `key`, `user`, `item` | `state_key`, `state_key_id` |
//! | `config_hash` | `config` (any JSON) | `sha256` |
//! | `inspect` | `envelope` | `version`, `suite`, `key_id`, `context` (pairs) |
//! | `context_encode` | `context` | `encoded` |
//! | `context_decode` | `encoded` | `context` (pairs) |
//!
//! `cargo run -p sealvault --example interop --features hazmat < request.json`

use std::io::{Read, Write};

use sealvault::{Context, DataKey, EnvelopeKey};
use serde_json::{Map, Value, json};

/// Why a case failed.
enum Fail {
    /// The crate refused: its stable error code.
    Code(&'static str),
    /// The request itself was unusable.
    Protocol(String),
}

impl From<sealvault::Error> for Fail {
    fn from(e: sealvault::Error) -> Self {
        Fail::Code(e.code())
    }
}

fn field<'a>(case: &'a Value, name: &str) -> Result<&'a Value, Fail> {
    case.get(name)
        .ok_or_else(|| Fail::Protocol(format!("missing field {name}")))
}

fn text<'a>(case: &'a Value, name: &str) -> Result<&'a str, Fail> {
    field(case, name)?
        .as_str()
        .ok_or_else(|| Fail::Protocol(format!("field {name} is not a string")))
}

fn bytes(case: &Value, name: &str) -> Result<Vec<u8>, Fail> {
    hex::decode(text(case, name)?).map_err(|e| Fail::Protocol(format!("field {name}: {e}")))
}

fn array<const N: usize>(case: &Value, name: &str) -> Result<[u8; N], Fail> {
    bytes(case, name)?
        .try_into()
        .map_err(|_| Fail::Protocol(format!("field {name} is not {N} bytes")))
}

fn data_key(case: &Value) -> Result<DataKey, Fail> {
    Ok(DataKey::from_bytes(
        &bytes(case, "key_id")?,
        &bytes(case, "key")?,
    )?)
}

fn context(case: &Value, name: &str) -> Result<Context, Fail> {
    let mut ctx = Context::new();
    match field(case, name)? {
        Value::Object(map) => {
            for (k, v) in map {
                let v = v
                    .as_str()
                    .ok_or_else(|| Fail::Protocol(format!("{name}.{k} is not a string")))?;
                ctx.insert(k.as_str(), v)?;
            }
        }
        Value::Array(pairs) => {
            for pair in pairs {
                match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(k), Value::String(v)]) => {
                        ctx.insert(k.as_str(), v.as_str())?
                    }
                    _ => return Err(Fail::Protocol(format!("{name}: not a [key, value] pair"))),
                }
            }
        }
        _ => return Err(Fail::Protocol(format!("{name} is not an object or a list"))),
    }
    Ok(ctx)
}

fn pairs(ctx: &Context) -> Value {
    Value::Array(ctx.iter().map(|(k, v)| json!([k, v])).collect())
}

fn run(op: &str, case: &Value) -> Result<Value, Fail> {
    Ok(match op {
        "open" => {
            let pt = sealvault::open(
                &data_key(case)?,
                &bytes(case, "envelope")?,
                &context(case, "expected_context")?,
            )?;
            json!({ "plaintext": hex::encode(&*pt) })
        }
        "open_ek" => {
            let ek = EnvelopeKey::from_bytes(&bytes(case, "envelope_key")?)?;
            let pt = sealvault::open_with_envelope_key(
                &ek,
                &bytes(case, "envelope")?,
                &context(case, "expected_context")?,
            )?;
            json!({ "plaintext": hex::encode(&*pt) })
        }
        "envelope_key" => {
            let ek = sealvault::envelope_key(&data_key(case)?, &bytes(case, "envelope")?)?;
            json!({ "envelope_key": hex::encode(ek.expose_secret()) })
        }
        "seal" => {
            let envelope = sealvault::seal(
                &data_key(case)?,
                &bytes(case, "plaintext")?,
                &context(case, "context")?,
            )?;
            json!({ "envelope": hex::encode(envelope) })
        }
        "seal_any" => {
            let salt: [u8; 32] = rand::random();
            let nonce: [u8; 12] = rand::random();
            let envelope = sealvault::hazmat::seal_deterministic(
                &data_key(case)?,
                &bytes(case, "plaintext")?,
                &context(case, "context")?,
                &salt,
                &nonce,
            )?;
            json!({ "envelope": hex::encode(envelope) })
        }
        "seal_deterministic" => {
            let envelope = sealvault::hazmat::seal_deterministic(
                &data_key(case)?,
                &bytes(case, "plaintext")?,
                &context(case, "context")?,
                &array::<32>(case, "salt")?,
                &array::<12>(case, "nonce")?,
            )?;
            json!({ "envelope": hex::encode(envelope) })
        }
        "state_key" => {
            let sk =
                sealvault::state_key(&data_key(case)?, text(case, "user")?, text(case, "item")?)?;
            json!({
                "state_key": hex::encode(sk.expose_secret()),
                "state_key_id": sk.key_id().to_hex(),
            })
        }
        "config_hash" => json!({ "sha256": sealvault::config_hash(field(case, "config")?)? }),
        "inspect" => {
            let info = sealvault::inspect(&bytes(case, "envelope")?)?;
            json!({
                "version": info.version,
                "suite": info.suite,
                "key_id": info.key_id.to_hex(),
                "context": pairs(&info.context),
            })
        }
        "context_encode" => json!({ "encoded": hex::encode(context(case, "context")?.encode()?) }),
        "context_decode" => {
            json!({ "context": pairs(&Context::decode(&bytes(case, "encoded")?)?) })
        }
        other => return Err(Fail::Protocol(format!("unknown op {other}"))),
    })
}

fn result(op: &str, case: &Value) -> Value {
    match run(op, case) {
        Ok(Value::Object(mut out)) => {
            out.insert("ok".into(), Value::Bool(true));
            Value::Object(out)
        }
        Ok(other) => json!({ "ok": true, "value": other }),
        Err(Fail::Code(code)) => json!({ "ok": false, "code": code }),
        Err(Fail::Protocol(msg)) => json!({ "ok": false, "protocol_error": msg }),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let request: Value = serde_json::from_str(&input)?;
    let op = request
        .get("op")
        .and_then(Value::as_str)
        .ok_or("request needs a string \"op\"")?;
    let cases = request
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("request needs a list \"cases\"")?;
    let results: Vec<Value> = cases.iter().map(|case| result(op, case)).collect();
    let mut response = Map::new();
    response.insert("results".into(), Value::Array(results));
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &Value::Object(response))?;
    stdout.write_all(b"\n")?;
    Ok(())
}

//! `seal`, `sealItem`, `open`, `envelopeKey`, `openWithEnvelopeKey`,
//! `stateKey`, `inspect`, `configHash`, `itemContext`.

use js_sys::Object;
use sealvault::{ItemInfo, Kind};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::bytes::SecretBytes;
use crate::convert::{
    ContextArg, InspectionOut, JsonArg, SealItemArg, from_context, get, get_string, integer,
    secret_bytes, set, to_context, to_json,
};
use crate::error::{Result, core, invalid};
use crate::keys::{JsDataKey, JsEnvelopeKey};

/// Seals `plaintext` under `dk` with a caller context (no `sv:` keys).
#[wasm_bindgen]
pub fn seal(
    dk: &JsDataKey,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] plaintext: JsValue,
    context: Option<ContextArg>,
) -> Result<Vec<u8>> {
    let plaintext = secret_bytes(&plaintext, "plaintext")?;
    let context = to_context(context.as_ref().map(|c| c.as_ref()))?;
    core(sealvault::seal(&dk.inner, &plaintext, &context))
}

fn kind(value: &str) -> Result<Kind> {
    core(value.parse())
}

/// Seals an item envelope (`sv:` context from kind, user, item, version
/// and config, plus `extra`).
#[wasm_bindgen(js_name = sealItem)]
pub fn seal_item(dk: &JsDataKey, options: SealItemArg) -> Result<Vec<u8>> {
    let options: &JsValue = options.as_ref();
    if !options.is_object() {
        return Err(invalid("sealItem options must be an object"));
    }
    let kind = kind(&get_string(options, "kind")?)?;
    let user = get_string(options, "user")?;
    let item = get_string(options, "item")?;
    let version = get(options, "version")?
        .and_then(|v| v.as_f64())
        .ok_or_else(|| invalid("version must be a number"))?;
    let version = integer(version, "version", false)? as u64;
    let config = get(options, "config")?.map(|c| to_json(&c)).transpose()?;
    let plaintext = get(options, "plaintext")?.unwrap_or(JsValue::UNDEFINED);
    let plaintext = secret_bytes(&plaintext, "plaintext")?;
    let extra = to_context(get(options, "extra")?.as_ref())?;
    let info = ItemInfo {
        kind,
        user: &user,
        item: &item,
        version,
        config: config.as_ref(),
    };
    core(sealvault::seal_item(&dk.inner, &info, &extra, &plaintext))
}

/// Opens `envelope` with `dk`, checking that its context contains
/// `expected`; the plaintext comes back as `SecretBytes`.
#[wasm_bindgen]
pub fn open(dk: &JsDataKey, envelope: &[u8], expected: Option<ContextArg>) -> Result<SecretBytes> {
    let expected = to_context(expected.as_ref().map(|c| c.as_ref()))?;
    Ok(SecretBytes::new(core(sealvault::open(
        &dk.inner, envelope, &expected,
    ))?))
}

/// The envelope key of `envelope` (checks key id and commitment).
#[wasm_bindgen(js_name = envelopeKey)]
pub fn envelope_key(dk: &JsDataKey, envelope: &[u8]) -> Result<JsEnvelopeKey> {
    Ok(JsEnvelopeKey {
        inner: core(sealvault::envelope_key(&dk.inner, envelope))?,
    })
}

/// Opens `envelope` with its own envelope key.
#[wasm_bindgen(js_name = openWithEnvelopeKey)]
pub fn open_with_envelope_key(
    ek: &JsEnvelopeKey,
    envelope: &[u8],
    expected: Option<ContextArg>,
) -> Result<SecretBytes> {
    let expected = to_context(expected.as_ref().map(|c| c.as_ref()))?;
    Ok(SecretBytes::new(core(sealvault::open_with_envelope_key(
        &ek.inner, envelope, &expected,
    ))?))
}

/// The state key of item `item` of `user`, derived from `dk`.
#[wasm_bindgen(js_name = stateKey)]
pub fn state_key(dk: &JsDataKey, user: &str, item: &str) -> Result<JsDataKey> {
    Ok(JsDataKey {
        inner: core(sealvault::state_key(&dk.inner, user, item))?,
    })
}

/// The public header of an envelope: version, suite, key id, context.
#[wasm_bindgen]
pub fn inspect(envelope: &[u8]) -> Result<InspectionOut> {
    let found = core(sealvault::inspect(envelope))?;
    let out = Object::new();
    set(&out, "version", &JsValue::from(found.version))?;
    set(&out, "suite", &JsValue::from(found.suite))?;
    set(&out, "keyId", &JsValue::from_str(&found.key_id.to_hex()))?;
    set(&out, "context", &from_context(&found.context)?)?;
    Ok(out.unchecked_into())
}

/// Lowercase hex SHA-256 of `config` in RFC 8785 canonical JSON.
#[wasm_bindgen(js_name = configHash)]
pub fn config_hash(config: JsonArg) -> Result<String> {
    core(sealvault::config_hash(&to_json(config.as_ref())?))
}

/// The `sv:` context an item envelope carries (pass it as `expected`).
#[wasm_bindgen(js_name = itemContext)]
pub fn item_context(
    kind: &str,
    user: &str,
    item: &str,
    version: f64,
    config: Option<JsonArg>,
) -> Result<ContextArg> {
    let config = config.map(|c| to_json(c.as_ref())).transpose()?;
    let info = ItemInfo {
        kind: self::kind(kind)?,
        user,
        item,
        version: integer(version, "version", false)? as u64,
        config: config.as_ref(),
    };
    Ok(from_context(&core(info.context())?)?.unchecked_into())
}

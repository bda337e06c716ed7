//! The generator of `testdata/envelope-v1.json`, the language-neutral
//! envelope vectors every SDK runs.
//!
//! All inputs derive from fixed labels, so the output is byte-for-byte
//! reproducible; `cargo run -p sealvault --example gen-vectors --features
//! hazmat` rewrites the file and the core's tests fail when it drifts.
//! Every failing case records the error code the open procedure of
//! DESIGN §4 must return.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::context::Context;
use crate::envelope::{self, NONCE_LEN, SALT_LEN, header};
use crate::error::{Error, Result};
use crate::item::{ItemInfo, config_hash, state_key};
use crate::keys::{DataKey, EnvelopeKey, KeyId};

use super::{envelope_key_for_header, forge_with_envelope_key, seal_deterministic};

/// Deterministic bytes for a label.
fn bytes_for(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut counter = 0u32;
    while out.len() < len {
        let block = Sha256::new()
            .chain_update(label.as_bytes())
            .chain_update(counter.to_be_bytes())
            .finalize();
        out.extend_from_slice(&block);
        counter += 1;
    }
    out.truncate(len);
    out
}

fn fixed<const N: usize>(label: &str) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes_for(label, N));
    out
}

fn test_key(name: &str) -> DataKey {
    DataKey::with_id(
        KeyId::new(fixed(&format!("{name}/key_id"))),
        fixed(&format!("{name}/key")),
    )
}

fn key_json(key: &DataKey) -> Value {
    json!({"key_id": key.key_id().to_hex(), "key": hex::encode(key.expose_secret())})
}

fn ctx(pairs: &[(&str, &str)]) -> Result<Context> {
    let mut c = Context::new();
    for (k, v) in pairs {
        c.insert(*k, *v)?;
    }
    Ok(c)
}

/// The vector builder: collects cases.
struct Builder {
    cases: Vec<Value>,
}

/// A good envelope and everything needed to reproduce it.
struct Sealed {
    envelope: Vec<u8>,
    context: Context,
    plaintext: Vec<u8>,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
}

impl Builder {
    fn seal(
        &self,
        name: &str,
        key: &DataKey,
        plaintext: &[u8],
        context: Context,
    ) -> Result<Sealed> {
        let salt: [u8; SALT_LEN] = fixed(&format!("{name}/salt"));
        let nonce: [u8; NONCE_LEN] = fixed(&format!("{name}/nonce"));
        let envelope = seal_deterministic(key, plaintext, &context, &salt, &nonce)?;
        Ok(Sealed {
            envelope,
            context,
            plaintext: plaintext.to_vec(),
            salt,
            nonce,
        })
    }

    /// A case that must open: records the seal inputs and the exact bytes.
    fn ok(
        &mut self,
        name: &str,
        note: &str,
        key: &DataKey,
        sealed: &Sealed,
        expected: &Context,
    ) -> Result<()> {
        let pt = envelope::open(key, &sealed.envelope, expected)?;
        if pt[..] != sealed.plaintext[..] {
            return Err(Error::Integrity);
        }
        let ek = envelope::envelope_key(key, &sealed.envelope)?;
        self.cases.push(json!({
            "name": name,
            "note": note,
            "key": key_json(key),
            "open_with": "data_key",
            "seal": {
                "plaintext": hex::encode(&sealed.plaintext),
                "context": sealed.context,
                "salt": hex::encode(sealed.salt),
                "nonce": hex::encode(sealed.nonce),
            },
            "envelope": hex::encode(&sealed.envelope),
            "envelope_key": hex::encode(ek.expose_secret()),
            "expected_context": expected,
            "expect": "ok",
            "plaintext": hex::encode(&sealed.plaintext),
        }));
        Ok(())
    }

    /// A case that must fail with `code` when opened with the data key.
    fn fail(
        &mut self,
        name: &str,
        note: &str,
        key: &DataKey,
        envelope: &[u8],
        expected: &Context,
        code: &str,
    ) -> Result<()> {
        check_code(
            envelope::open(key, envelope, expected).map(drop),
            code,
            name,
        )?;
        self.cases.push(json!({
            "name": name,
            "note": note,
            "key": key_json(key),
            "open_with": "data_key",
            "envelope": hex::encode(envelope),
            "expected_context": expected,
            "expect": code,
        }));
        Ok(())
    }

    /// A case opened with a given envelope key.
    #[allow(clippy::too_many_arguments)]
    fn with_ek(
        &mut self,
        name: &str,
        note: &str,
        ek: &EnvelopeKey,
        envelope: &[u8],
        expected: &Context,
        code: &str,
        plaintext: Option<&[u8]>,
    ) -> Result<()> {
        check_code(
            envelope::open_with_envelope_key(ek, envelope, expected).map(drop),
            code,
            name,
        )?;
        let mut case = json!({
            "name": name,
            "note": note,
            "open_with": "envelope_key",
            "envelope_key": hex::encode(ek.expose_secret()),
            "envelope": hex::encode(envelope),
            "expected_context": expected,
            "expect": code,
        });
        if let (Some(pt), Some(obj)) = (plaintext, case.as_object_mut()) {
            obj.insert("plaintext".into(), json!(hex::encode(pt)));
        }
        self.cases.push(case);
        Ok(())
    }
}

/// Fails generation when an outcome is not the one intended.
fn check_code(outcome: Result<()>, want: &str, name: &str) -> Result<()> {
    let got = match &outcome {
        Ok(()) => "ok",
        Err(e) => e.code(),
    };
    if got == want {
        Ok(())
    } else {
        Err(Error::InvalidRequest(format!(
            "vector {name}: expected {want}, got {got}"
        )))
    }
}

fn flipped(bytes: &[u8], index: usize, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= mask;
    out
}

/// Replaces the context of a valid envelope with raw `context` bytes
/// (fixing `L`), for malformed-context cases.
fn with_raw_context(envelope: &[u8], old_len: usize, context: &[u8]) -> Vec<u8> {
    let mut out = envelope[..header::CONTEXT_LEN_OFFSET].to_vec();
    out.extend_from_slice(&(context.len() as u16).to_be_bytes());
    out.extend_from_slice(context);
    out.extend_from_slice(&envelope[header::CONTEXT_OFFSET + old_len..]);
    out
}

fn entry(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = (key.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// Generates the whole vector file.
pub fn generate() -> Result<Value> {
    let dk = test_key("dk1");
    let dk_other = test_key("dk2");
    let dk_same_id_wrong_bytes = DataKey::with_id(dk.key_id(), fixed("dk1-impostor/key"));
    let mut b = Builder { cases: Vec::new() };
    let none = Context::new();

    good_cases(&mut b, &dk)?;
    let basic_ctx = ctx(&[("tenant", "t1")])?;
    let basic = b.seal(
        "basic",
        &dk,
        b"correct horse battery staple",
        basic_ctx.clone(),
    )?;
    key_cases(
        &mut b,
        &dk,
        &dk_other,
        &dk_same_id_wrong_bytes,
        &basic,
        &basic_ctx,
    )?;
    flip_cases(&mut b, &dk, &basic, &basic_ctx)?;
    truncation_cases(&mut b, &dk, &basic, &basic_ctx)?;
    malformed_context_cases(&mut b, &dk, &basic)?;
    forgery_cases(&mut b, &dk)?;
    b.fail(
        "context_mismatch_value",
        "expected tenant t2, envelope says t1",
        &dk,
        &basic.envelope,
        &ctx(&[("tenant", "t2")])?,
        "context_mismatch",
    )?;
    b.fail(
        "context_mismatch_missing",
        "expected key absent from the envelope",
        &dk,
        &basic.envelope,
        &ctx(&[("tenant", "t1"), ("region", "eu")])?,
        "context_mismatch",
    )?;
    b.fail(
        "empty_input",
        "zero bytes",
        &dk,
        &[],
        &none,
        "malformed_envelope",
    )?;

    Ok(json!({
        "about": "SealVault envelope v1 test vectors (docs/FORMAT.md). Byte strings are lowercase hex. \
                  Open each case's envelope with its key ('open_with': data_key uses key.key_id/key.key; \
                  envelope_key uses envelope_key) passing expected_context; 'expect' is 'ok' (then the \
                  plaintext must match, and resealing 'seal' with its salt and nonce must give 'envelope' \
                  exactly) or the error code the open must return.",
        "generator": "cargo run -p sealvault --example gen-vectors --features hazmat",
        "cases": b.cases,
        "contexts": context_vectors()?,
        "state_keys": state_key_vectors(&dk)?,
        "config_hashes": config_hash_vectors()?,
    }))
}

fn good_cases(b: &mut Builder, dk: &DataKey) -> Result<()> {
    let none = Context::new();
    let s = b.seal("empty", dk, b"", Context::new())?;
    b.ok(
        "empty_plaintext_empty_context",
        "smallest envelope: 114 bytes",
        dk,
        &s,
        &none,
    )?;

    let c = ctx(&[("tenant", "t1")])?;
    let s = b.seal("basic", dk, b"correct horse battery staple", c.clone())?;
    b.ok("basic", "one caller context entry", dk, &s, &c)?;
    b.ok(
        "expected_subset",
        "expected context may be a subset of the envelope's",
        dk,
        &s,
        &none,
    )?;

    let c = ctx(&[
        ("région", "Île-de-France"),
        ("tenant", "t1"),
        ("ключ", "значение"),
        ("🔑", "✓ 日本語"),
    ])?;
    let s = b.seal("unicode", dk, "pässwörd ✓".as_bytes(), c.clone())?;
    b.ok(
        "unicode_context",
        "non-ASCII keys and values sort by UTF-8 bytes",
        dk,
        &s,
        &c,
    )?;

    let big = bytes_for("large plaintext", 20_000);
    let s = b.seal("large", dk, &big, Context::new())?;
    b.ok(
        "large_plaintext",
        "20,000-byte plaintext (1,250 AES blocks)",
        dk,
        &s,
        &none,
    )?;

    let mut c = Context::new();
    c.insert("a", "x".repeat(1024))?;
    c.insert("b", "y".repeat(1024))?;
    c.insert("c", "z".repeat(1024))?;
    c.insert("d".repeat(255), "w".repeat(4096 - 3 * 1029 - 259))?;
    let s = b.seal("max_context", dk, b"max", c.clone())?;
    b.ok(
        "max_context",
        "context of exactly 4096 bytes, a 255-byte key, 1024-byte values",
        dk,
        &s,
        &c,
    )?;

    let config = json!({"name": "acme-portal", "login_url": "https://portal.acme.test/login", "tfa": {"method": "AUTHENTICATOR"}});
    let info = ItemInfo::credential("usr_1", "acme", 1, &config);
    let s = b.seal(
        "credential",
        dk,
        br#"{"username":"alice","password":"hunter2","fields":{}}"#,
        info.context()?,
    )?;
    b.ok(
        "item_credential",
        "seal_item kind credential: sv:user, sv:item, sv:kind, sv:version, sv:config",
        dk,
        &s,
        &info.context()?,
    )?;

    let info = ItemInfo::totp_seed("usr_1", "acme", 1);
    let s = b.seal(
        "totp-seed",
        dk,
        b"otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP&issuer=ACME",
        info.context()?,
    )?;
    b.ok(
        "item_totp_seed",
        "seal_item kind totp-seed: no sv:config",
        dk,
        &s,
        &info.context()?,
    )?;

    let sk = state_key(dk, "usr_1", "acme")?;
    let info = ItemInfo::session_state("usr_1", "acme", 3);
    let s = b.seal(
        "session-state",
        &sk,
        br#"{"cookies":[],"origins":[]}"#,
        info.context()?,
    )?;
    b.ok(
        "item_session_state",
        "sealed under the state key of (usr_1, acme), which carries the data key's id",
        &sk,
        &s,
        &info.context()?,
    )?;
    b.fail(
        "session_state_with_data_key",
        "a state envelope does not open with the data key itself",
        dk,
        &s.envelope,
        &info.context()?,
        "commitment_mismatch",
    )?;

    let s = b.seal("by-ek", dk, b"opened with its envelope key", Context::new())?;
    let ek = envelope::envelope_key(dk, &s.envelope)?;
    b.with_ek(
        "open_with_envelope_key",
        "the released envelope key opens its own envelope",
        &ek,
        &s.envelope,
        &none,
        "ok",
        Some(&s.plaintext),
    )?;
    Ok(())
}

fn key_cases(
    b: &mut Builder,
    dk: &DataKey,
    other: &DataKey,
    impostor: &DataKey,
    basic: &Sealed,
    c: &Context,
) -> Result<()> {
    b.fail(
        "wrong_key_id",
        "another data key: refused by key id before any crypto",
        other,
        &basic.envelope,
        c,
        "wrong_key",
    )?;
    b.fail(
        "wrong_key_same_id",
        "right key id, wrong key bytes",
        impostor,
        &basic.envelope,
        c,
        "commitment_mismatch",
    )?;
    let second = b.seal("second", dk, b"another secret", c.clone())?;
    let ek_second = envelope::envelope_key(dk, &second.envelope)?;
    b.with_ek(
        "envelope_key_of_other_envelope",
        "an envelope key opens one envelope only",
        &ek_second,
        &basic.envelope,
        c,
        "commitment_mismatch",
        None,
    )?;
    Ok(())
}

fn flip_cases(b: &mut Builder, dk: &DataKey, s: &Sealed, c: &Context) -> Result<()> {
    let l = s.context.encoded_len();
    let ct_start = header::CONTEXT_OFFSET + l + 32;
    let tag_start = s.envelope.len() - 16;
    let flips: [(&str, usize, u8, &str); 12] = [
        ("flip_magic", 0, 0x01, "malformed_envelope"),
        ("flip_version", 2, 0x03, "unsupported_version"),
        ("flip_suite", 3, 0x02, "unsupported_version"),
        ("flip_key_id", 4, 0x01, "wrong_key"),
        ("flip_salt", 20, 0x80, "commitment_mismatch"),
        ("flip_nonce", 52, 0x01, "commitment_mismatch"),
        ("flip_context_len", 65, 0x01, "malformed_envelope"),
        ("flip_context_len_high", 64, 0x20, "malformed_envelope"),
        (
            "flip_context_value",
            header::CONTEXT_OFFSET + l - 1,
            0x01,
            "commitment_mismatch",
        ),
        (
            "flip_commitment",
            header::CONTEXT_OFFSET + l,
            0x01,
            "commitment_mismatch",
        ),
        ("flip_ciphertext", ct_start, 0x01, "integrity"),
        ("flip_tag", tag_start + 15, 0x80, "integrity"),
    ];
    for (name, index, mask, code) in flips {
        let note = format!("byte {index} xor 0x{mask:02x}");
        b.fail(name, &note, dk, &flipped(&s.envelope, index, mask), c, code)?;
    }
    Ok(())
}

fn truncation_cases(b: &mut Builder, dk: &DataKey, s: &Sealed, c: &Context) -> Result<()> {
    let l = s.context.encoded_len();
    let n = s.envelope.len();
    for len in [1, 3, 65, 66 + l - 1, 114 + l - 1] {
        let note = format!("first {len} of {n} bytes");
        b.fail(
            &format!("truncated_to_{len}"),
            &note,
            dk,
            &s.envelope[..len],
            c,
            "malformed_envelope",
        )?;
    }
    b.fail(
        "truncated_last_byte",
        "tag cut short: ciphertext length is implicit, so the tag fails",
        dk,
        &s.envelope[..n - 1],
        c,
        "integrity",
    )?;
    let mut longer = s.envelope.clone();
    longer.push(0);
    b.fail(
        "trailing_byte",
        "one byte appended: the tag moves and fails",
        dk,
        &longer,
        c,
        "integrity",
    )?;
    Ok(())
}

fn malformed_context_cases(b: &mut Builder, dk: &DataKey, s: &Sealed) -> Result<()> {
    let none = Context::new();
    let l = s.context.encoded_len();
    let bad: [(&str, &str, Vec<u8>); 7] = [
        (
            "context_unsorted",
            "entries out of byte order",
            [entry(b"b", b"1"), entry(b"a", b"2")].concat(),
        ),
        (
            "context_duplicate",
            "the same key twice",
            [entry(b"a", b"1"), entry(b"a", b"2")].concat(),
        ),
        ("context_empty_key", "a zero-length key", entry(b"", b"1")),
        (
            "context_bad_utf8",
            "a value that is not UTF-8",
            entry(b"a", &[0xff, 0xfe]),
        ),
        (
            "context_key_oversize",
            "a 256-byte key",
            entry(&[b'k'; 256], b""),
        ),
        (
            "context_value_oversize",
            "a 1025-byte value",
            entry(b"k", &[b'v'; 1025]),
        ),
        ("context_entry_truncated", "a length running past L", {
            let mut e = entry(b"tenant", b"t1");
            e.pop();
            e
        }),
    ];
    for (name, note, raw) in bad {
        b.fail(
            name,
            note,
            dk,
            &with_raw_context(&s.envelope, l, &raw),
            &none,
            "malformed_envelope",
        )?;
    }
    let mut over = s.envelope.clone();
    over[header::CONTEXT_LEN_OFFSET..header::CONTEXT_OFFSET]
        .copy_from_slice(&4097u16.to_be_bytes());
    over.resize(over.len() + 4097, 0);
    b.fail(
        "context_len_over_4096",
        "L = 4097",
        dk,
        &over,
        &none,
        "malformed_envelope",
    )?;
    Ok(())
}

/// The two forgeries a naive schedule allows; both must fail here.
fn forgery_cases(b: &mut Builder, dk: &DataKey) -> Result<()> {
    let config = json!({"name": "acme"});
    let info_a = ItemInfo::credential("usr_1", "acme", 1, &config);
    let a = b.seal(
        "forgery-a",
        dk,
        br#"{"username":"alice","password":"hunter2"}"#,
        info_a.context()?,
    )?;
    let info_b = ItemInfo::credential("usr_1", "bank", 1, &config);
    let ctx_b = info_b.context()?;

    // 1. Commitment, ciphertext and tag of A under a new header (item bank).
    let la = a.context.encoded_len();
    let mut moved = Vec::new();
    header::write_header_base(&mut moved, &dk.key_id(), &a.salt, &a.nonce, &ctx_b)?;
    moved.extend_from_slice(&a.envelope[header::CONTEXT_OFFSET + la..]);
    b.fail(
        "forgery_copied_commitment",
        "A's commitment, ciphertext and tag moved under a header naming another item",
        dk,
        &moved,
        &ctx_b,
        "commitment_mismatch",
    )?;

    // 2. A's released envelope key used to seal a different header.
    let ek_a = envelope::envelope_key(dk, &a.envelope)?;
    let salt: [u8; SALT_LEN] = fixed("forgery-b/salt");
    let nonce: [u8; NONCE_LEN] = fixed("forgery-b/nonce");
    let forged = forge_with_envelope_key(
        &ek_a,
        &dk.key_id(),
        br#"{"username":"mallory","password":"x"}"#,
        &ctx_b,
        &salt,
        &nonce,
    )?;
    b.fail(
        "forgery_released_envelope_key",
        "a header sealed with A's released envelope key does not open under the data key",
        dk,
        &forged,
        &ctx_b,
        "commitment_mismatch",
    )?;
    let base_len = forged.len() - 32 - 16 - br#"{"username":"mallory","password":"x"}"#.len();
    let ek_true = envelope_key_for_header(dk, &forged[..base_len]);
    b.with_ek(
        "forgery_released_envelope_key_vault_ek",
        "nor with the envelope key the vault would derive and release for it",
        &ek_true,
        &forged,
        &ctx_b,
        "commitment_mismatch",
        None,
    )?;
    Ok(())
}

fn context_vectors() -> Result<Value> {
    let cases: Vec<Context> = vec![
        Context::new(),
        ctx(&[("tenant", "t1")])?,
        ctx(&[("b", ""), ("a", "1"), ("B", "2"), ("é", "3")])?,
    ];
    let mut out = Vec::new();
    for c in cases {
        out.push(json!({"context": c, "encoded": hex::encode(c.encode()?)}));
    }
    Ok(Value::Array(out))
}

fn state_key_vectors(dk: &DataKey) -> Result<Value> {
    let mut out = Vec::new();
    for (user, item) in [
        ("usr_1", "acme"),
        ("usr_1", "acme2"),
        ("usr_2", "acme"),
        ("", "x"),
    ] {
        let sk = state_key(dk, user, item)?;
        out.push(json!({
            "key": key_json(dk),
            "user": user,
            "item": item,
            "state_key": hex::encode(sk.expose_secret()),
            "state_key_id": sk.key_id().to_hex(),
        }));
    }
    Ok(Value::Array(out))
}

fn config_hash_vectors() -> Result<Value> {
    let configs = [
        r#"{"name":"acme"}"#,
        r#"{"login_url":"https://portal.acme.test/login","name":"acme-portal","tfa":{"method":"AUTHENTICATOR"}}"#,
        r#"{ "name" : "ünïcödé ✓", "concurrency": {"max_concurrent": 3, "allow_multiple": true}, "expiration": {"from_last_use_secs": 3600.0} }"#,
        r#"{"name":"esc\"ape\u0001\n","proxy":{"target_ip":"203.0.113.7","enabled":true},"expiration":{"from_creation_secs":1e5}}"#,
    ];
    let mut out = Vec::new();
    for text in configs {
        let value: Value =
            serde_json::from_str(text).map_err(|e| Error::InvalidConfig(e.to_string()))?;
        out.push(json!({
            "config_json": text,
            "canonical": crate::item::canonical_json(&value)?,
            "sha256": config_hash(&value)?,
        }));
    }
    Ok(Value::Array(out))
}

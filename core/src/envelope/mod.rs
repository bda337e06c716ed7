//! Sealed envelopes: AES-256-GCM with a key commitment bound to the header.
//!
//! # Use case
//! Encrypt a credential on the client so that only ciphertext reaches the
//! vault, and so that the vault, an agent, or anyone else can tell a
//! tampered, misplaced or mis-keyed envelope from a good one.
//!
//! # About
//! An envelope (DESIGN §4, docs/FORMAT.md) is a versioned header — magic,
//! version, suite, data key id, random salt and nonce, canonical context —
//! followed by a key commitment, the ciphertext and the GCM tag. A per
//! envelope key `ek` is an HMAC of the whole header under the data key; the
//! AES key and the commitment are expanded from it. An `ek` therefore opens
//! one envelope only, and cannot be used to forge another header.
//!
//! # Parameters
//! Salt (32 bytes) and nonce (12 bytes) are drawn by [`seal`] from a
//! userspace CSPRNG seeded by the OS; the public API never takes them.
//!
//! # Errors
//! Opening checks, in order: structure (`malformed_envelope`,
//! `unsupported_version`), key id (`wrong_key`, before any cryptography),
//! commitment (`commitment_mismatch`, constant time), GCM tag
//! (`integrity`), expected context (`context_mismatch`).
//!
//! # Security
//! Plaintext is returned in a [`Zeroizing`] buffer; failed decryptions wipe
//! their scratch buffer. No error message carries key or plaintext bytes.
//!
//! # Example
//! ```
//! use sealvault::{Context, DataKey, open, seal};
//! let dk = DataKey::generate();
//! let mut ctx = Context::new();
//! ctx.insert("tenant", "t1")?;
//! let envelope = seal(&dk, b"hunter2", &ctx)?;
//! let plaintext = open(&dk, &envelope, &ctx)?;
//! assert_eq!(&plaintext[..], b"hunter2");
//! # Ok::<(), sealvault::Error>(())
//! ```

pub(crate) mod aead;
pub(crate) mod header;
mod schedule;

use rand::RngCore;
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::keys::{DataKey, EnvelopeKey, KeyId};

pub use header::{NONCE_LEN, OVERHEAD, SALT_LEN};
#[cfg(feature = "hazmat")]
pub(crate) use schedule::hkdf_expand;
pub(crate) use schedule::hmac_sha256;

/// What [`inspect`] reveals of an envelope without any key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inspection {
    /// Format version (1).
    pub version: u8,
    /// Suite (1).
    pub suite: u8,
    /// The data key id.
    pub key_id: KeyId,
    /// The full context, `sv:` entries included.
    pub context: Context,
}

/// Seals `plaintext` under `key` with a caller context (no `sv:` keys).
pub fn seal(key: &DataKey, plaintext: &[u8], context: &Context) -> Result<Vec<u8>> {
    if let Some(reserved) = context.first_reserved_key() {
        return Err(Error::ReservedContextKey {
            key: reserved.to_owned(),
        });
    }
    seal_with_context(key, plaintext, context)
}

/// Seals with any context, `sv:` keys included; random salt and nonce.
pub(crate) fn seal_with_context(
    key: &DataKey,
    plaintext: &[u8],
    context: &Context,
) -> Result<Vec<u8>> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    let mut rng = rand::thread_rng();
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    seal_deterministic(key, plaintext, context, &salt, &nonce)
}

/// Seals with the given salt and nonce. Reusing them is catastrophic; only
/// [`seal_with_context`] and the `hazmat` test-vector door call this.
pub(crate) fn seal_deterministic(
    key: &DataKey,
    plaintext: &[u8],
    context: &Context,
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(OVERHEAD + context.encoded_len() + plaintext.len());
    header::write_header_base(&mut out, &key.key_id(), salt, nonce, context)?;
    let ek = schedule::envelope_key(key.expose_secret(), &out);
    seal_after_header(&ek, out, plaintext, nonce)
}

/// Appends commitment, ciphertext and tag to a written header base.
pub(crate) fn seal_after_header(
    ek: &EnvelopeKey,
    mut out: Vec<u8>,
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    let derived = schedule::derive(ek);
    out.extend_from_slice(&derived.commitment);
    let aad_len = out.len();
    out.extend_from_slice(plaintext);
    let (aad, body) = out.split_at_mut(aad_len);
    let tag = aead::seal_in_place(&derived.enc_key, nonce, aad, body)?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens an envelope with its data key (or state key), checking that every
/// entry of `expected` is in its context.
pub fn open(key: &DataKey, envelope: &[u8], expected: &Context) -> Result<Zeroizing<Vec<u8>>> {
    let parsed = header::parse(envelope)?;
    check_key_id(key, &parsed)?;
    let ek = schedule::envelope_key(key.expose_secret(), parsed.header_base);
    open_parsed(&ek, &parsed, expected)
}

/// Derives the envelope key of `envelope` (the vault releases it to a lease
/// holder). Checks the key id and the commitment, not the GCM tag.
pub fn envelope_key(key: &DataKey, envelope: &[u8]) -> Result<EnvelopeKey> {
    let parsed = header::parse(envelope)?;
    check_key_id(key, &parsed)?;
    let ek = schedule::envelope_key(key.expose_secret(), parsed.header_base);
    schedule::check_commitment(&schedule::derive(&ek), parsed.commitment)?;
    Ok(ek)
}

/// Opens an envelope with its own envelope key, checking `expected`.
pub fn open_with_envelope_key(
    ek: &EnvelopeKey,
    envelope: &[u8],
    expected: &Context,
) -> Result<Zeroizing<Vec<u8>>> {
    let parsed = header::parse(envelope)?;
    open_parsed(ek, &parsed, expected)
}

/// Parses the header: version, suite, key id and context. No key needed,
/// nothing authenticated.
pub fn inspect(envelope: &[u8]) -> Result<Inspection> {
    let parsed = header::parse(envelope)?;
    Ok(Inspection {
        version: header::VERSION,
        suite: header::SUITE,
        key_id: parsed.key_id,
        context: parsed.context,
    })
}

fn check_key_id(key: &DataKey, parsed: &header::Parsed<'_>) -> Result<()> {
    if parsed.key_id == key.key_id() {
        Ok(())
    } else {
        Err(Error::WrongKey {
            expected: key.key_id(),
            found: parsed.key_id,
        })
    }
}

/// Commitment, then GCM, then context — the order of DESIGN §4.
fn open_parsed(
    ek: &EnvelopeKey,
    parsed: &header::Parsed<'_>,
    expected: &Context,
) -> Result<Zeroizing<Vec<u8>>> {
    let derived = schedule::derive(ek);
    schedule::check_commitment(&derived, parsed.commitment)?;
    let mut plaintext = Zeroizing::new(parsed.ciphertext.to_vec());
    aead::open_in_place(
        &derived.enc_key,
        parsed.nonce,
        parsed.aad,
        &mut plaintext,
        parsed.tag,
    )?;
    parsed.context.check_contains(expected)?;
    Ok(plaintext)
}

/// The envelope key for an arbitrary header, for building forgery vectors.
#[cfg(feature = "hazmat")]
pub(crate) fn header_envelope_key(key: &DataKey, header_base: &[u8]) -> EnvelopeKey {
    schedule::envelope_key(key.expose_secret(), header_base)
}

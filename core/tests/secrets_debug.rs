//! `Debug` of every secret type prints no key bytes (DESIGN §10.2), and
//! errors carry no secret material.

use sealvault::{Context, DataKey, EnvelopeKey, envelope_key, open, seal, state_key};

/// Every rendering of `bytes` a careless `Debug` might produce.
fn leaks(text: &str, bytes: &[u8]) -> bool {
    let hex = hex::encode(bytes);
    let decimal = format!("{bytes:?}");
    let inner = decimal.trim_matches(|c| c == '[' || c == ']');
    text.contains(&hex[..16])
        || text.contains(inner)
        || text.contains(&sealvault::encoding::b64_encode(bytes)[..12])
}

#[test]
fn debug_of_secret_types_is_redacted() {
    let dk = DataKey::from_bytes(&[7u8; 16], &[0x42; 32]).expect("key");
    let shown = format!("{dk:?} {dk:#?}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(
        shown.contains(&"07".repeat(16)),
        "key id is public: {shown}"
    );
    assert!(!leaks(&shown, dk.expose_secret()), "{shown}");

    let sk = state_key(&dk, "usr_1", "acme").expect("state key");
    let shown = format!("{sk:?}");
    assert!(!leaks(&shown, sk.expose_secret()), "{shown}");

    let env = seal(&dk, b"hunter2", &Context::new()).expect("seals");
    let ek = envelope_key(&dk, &env).expect("ek");
    let shown = format!("{ek:?} {ek:#?}");
    assert_eq!(format!("{ek:?}"), "EnvelopeKey([redacted])");
    assert!(!leaks(&shown, ek.expose_secret()), "{shown}");

    let ek2 = EnvelopeKey::from_bytes(ek.expose_secret()).expect("copy");
    assert_eq!(ek, ek2, "constant-time equality still compares");
}

#[test]
fn errors_carry_no_secrets() {
    let dk = DataKey::from_bytes(&[1u8; 16], &[0x99; 32]).expect("key");
    let other = DataKey::from_bytes(&[1u8; 16], &[0x98; 32]).expect("key");
    let env = seal(&dk, b"hunter2-canary", &Context::new()).expect("seals");
    let err = open(&other, &env, &Context::new()).expect_err("wrong bytes");
    let shown = format!("{err} {err:?}");
    assert!(!leaks(&shown, dk.expose_secret()) && !leaks(&shown, other.expose_secret()));
    assert!(!shown.contains("hunter2"));
    let err = DataKey::from_api(&"ab".repeat(16), "not-base64-secret!").expect_err("bad key");
    assert!(!format!("{err} {err:?}").contains("secret!"));
}

/// Compiles only if `T` wipes itself on drop.
fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}

/// Resolves only if `T` is not `Clone` (two impls become ambiguous when it is).
trait AmbiguousIfClone<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfClone<()> for T {}
impl<T: Clone> AmbiguousIfClone<u8> for T {}

#[test]
fn secret_types_wipe_and_do_not_clone() {
    zeroized_on_drop::<DataKey>();
    zeroized_on_drop::<EnvelopeKey>();
    <DataKey as AmbiguousIfClone<_>>::check();
    <EnvelopeKey as AmbiguousIfClone<_>>::check();
    // Plaintext comes back in a zeroizing buffer.
    let dk = DataKey::generate();
    let env = seal(&dk, b"x", &Context::new()).expect("seals");
    let _: sealvault::Zeroizing<Vec<u8>> = open(&dk, &env, &Context::new()).expect("opens");
}

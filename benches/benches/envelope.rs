//! Criterion benches of the SealVault envelope beside its peers.
//!
//! Every group puts `sealvault` next to raw RustCrypto `aes-gcm` 0.10 (the
//! AEAD the core uses) and `ring` 0.17 (the hardware-accelerated reference)
//! on the same buffer in the same run, so the ratios in `README.md` compare
//! like with like:
//!
//! - `seal/<size>`, `open/<size>` at 64 B, 1 KiB, 64 KiB and 1 MiB:
//!   - `sealvault`: [`sealvault::seal`] / [`sealvault::open`] with a one-entry
//!     context (`tenant=t1`). Every seal draws a fresh salt and nonce and
//!     derives a fresh key, and returns a new `Vec`; every open returns a new
//!     zeroizing `Vec`.
//!   - `aes-gcm/key-per-call`: `Aes256Gcm::new` + `encrypt`/`decrypt` inside
//!     the loop — the honest peer for small buffers, since the envelope sets
//!     up a fresh AES key per envelope.
//!   - `aes-gcm/key-once`: the cipher built once outside the loop — the
//!     RustCrypto throughput ceiling.
//!   - `ring/key-once`, `ring/key-per-call`: `LessSafeKey`
//!     `seal_in_place_append_tag` / `open_in_place` on a freshly allocated copy
//!     of the input (as `aes-gcm`'s allocating `encrypt` and the envelope do).
//!
//!   The raw peers draw their 12-byte nonce from the same `thread_rng` the
//!   envelope uses and pass empty associated data.
//! - `seal_open_64B`: seal then open 64 B (target ≤ 1.5 µs), with an empty
//!   and a one-entry context.
//! - `envelope_key`: [`sealvault::envelope_key`] on a 64 B envelope.
//! - `parts`: the pieces of a small seal — the RNG draw (44 bytes from
//!   `thread_rng` as the core does, against one `getrandom` syscall) and the
//!   wipe of a 1 MiB zeroizing plaintext (what dropping `open`'s result
//!   costs), beside a bulk slice wipe and a plain drop.

// A bench is a test harness: a failed setup should stop it loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_main};
use rand::RngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce as RingNonce, UnboundKey};
use sealvault::{Context, DataKey, Zeroizing};
use zeroize::Zeroize;

/// Buffer sizes of the seal and open groups, with their labels.
const SIZES: [(usize, &str); 4] = [
    (64, "64B"),
    (1024, "1KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

const TAG_LEN: usize = 16;

/// Keeps the whole run to a few minutes on two cores; the 1 MiB case takes
/// fewer samples of longer iterations.
fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: usize,
) {
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.sample_size(if size >= 1024 * 1024 { 30 } else { 50 });
}

fn small_context() -> Context {
    let mut ctx = Context::new();
    ctx.insert("tenant", "t1").expect("valid context entry");
    ctx
}

fn plaintext(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn random_nonce() -> [u8; 12] {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    nonce
}

fn ring_key(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"))
}

/// `ring` seal on a fresh copy of `pt`, as an allocating API would.
fn ring_seal(key: &LessSafeKey, pt: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(pt.len() + TAG_LEN);
    buf.extend_from_slice(pt);
    key.seal_in_place_append_tag(
        RingNonce::assume_unique_for_key(random_nonce()),
        Aad::empty(),
        &mut buf,
    )
    .expect("ring seal");
    buf
}

/// `ring` open on a fresh copy of `ct`; returns the plaintext length.
fn ring_open(key: &LessSafeKey, nonce: [u8; 12], ct: &[u8]) -> Vec<u8> {
    let mut buf = ct.to_vec();
    let len = key
        .open_in_place(
            RingNonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut buf,
        )
        .expect("ring open")
        .len();
    buf.truncate(len);
    buf
}

fn bench_seal(c: &mut Criterion) {
    let dk = DataKey::generate();
    let ctx = small_context();
    let raw_key: [u8; 32] = *dk.expose_secret();
    for (size, label) in SIZES {
        let pt = plaintext(size);
        let mut group = c.benchmark_group(format!("seal/{label}"));
        configure(&mut group, size);
        group.throughput(Throughput::Bytes(size as u64));

        group.bench_function("sealvault", |b| {
            b.iter(|| sealvault::seal(&dk, black_box(&pt), &ctx).expect("seal"));
        });
        group.bench_function("aes-gcm/key-per-call", |b| {
            b.iter(|| {
                let cipher = Aes256Gcm::new(black_box(&raw_key).into());
                let nonce = random_nonce();
                cipher
                    .encrypt(Nonce::from_slice(&nonce), black_box(&pt[..]))
                    .expect("aes-gcm encrypt")
            });
        });
        let cipher = Aes256Gcm::new((&raw_key).into());
        group.bench_function("aes-gcm/key-once", |b| {
            b.iter(|| {
                let nonce = random_nonce();
                cipher
                    .encrypt(Nonce::from_slice(&nonce), black_box(&pt[..]))
                    .expect("aes-gcm encrypt")
            });
        });
        group.bench_function("ring/key-per-call", |b| {
            b.iter(|| ring_seal(&ring_key(black_box(&raw_key)), black_box(&pt)));
        });
        let rkey = ring_key(&raw_key);
        group.bench_function("ring/key-once", |b| {
            b.iter(|| ring_seal(&rkey, black_box(&pt)));
        });
        group.finish();
    }
}

fn bench_open(c: &mut Criterion) {
    let dk = DataKey::generate();
    let ctx = small_context();
    let raw_key: [u8; 32] = *dk.expose_secret();
    let nonce = random_nonce();
    for (size, label) in SIZES {
        let pt = plaintext(size);
        let envelope = sealvault::seal(&dk, &pt, &ctx).expect("seal");
        let cipher = Aes256Gcm::new((&raw_key).into());
        let aes_ct = cipher
            .encrypt(Nonce::from_slice(&nonce), &pt[..])
            .expect("aes-gcm encrypt");
        let rkey = ring_key(&raw_key);
        let mut ring_ct = pt.clone();
        rkey.seal_in_place_append_tag(
            RingNonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut ring_ct,
        )
        .expect("ring seal");

        let mut group = c.benchmark_group(format!("open/{label}"));
        configure(&mut group, size);
        group.throughput(Throughput::Bytes(size as u64));

        group.bench_function("sealvault", |b| {
            b.iter(|| sealvault::open(&dk, black_box(&envelope), &ctx).expect("open"));
        });
        group.bench_function("aes-gcm/key-per-call", |b| {
            b.iter(|| {
                let cipher = Aes256Gcm::new(black_box(&raw_key).into());
                cipher
                    .decrypt(Nonce::from_slice(&nonce), black_box(&aes_ct[..]))
                    .expect("aes-gcm decrypt")
            });
        });
        group.bench_function("aes-gcm/key-once", |b| {
            b.iter(|| {
                cipher
                    .decrypt(Nonce::from_slice(&nonce), black_box(&aes_ct[..]))
                    .expect("aes-gcm decrypt")
            });
        });
        group.bench_function("ring/key-per-call", |b| {
            b.iter(|| ring_open(&ring_key(black_box(&raw_key)), nonce, black_box(&ring_ct)));
        });
        group.bench_function("ring/key-once", |b| {
            b.iter(|| ring_open(&rkey, nonce, black_box(&ring_ct)));
        });
        group.finish();
    }
}

fn bench_seal_open_64(c: &mut Criterion) {
    let dk = DataKey::generate();
    let raw_key: [u8; 32] = *dk.expose_secret();
    let pt = plaintext(64);
    let mut group = c.benchmark_group("seal_open_64B");
    configure(&mut group, 64);
    group.throughput(Throughput::Bytes(64));
    for (name, ctx) in [
        ("sealvault/empty-context", Context::new()),
        ("sealvault/tenant-context", small_context()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let env = sealvault::seal(&dk, black_box(&pt), &ctx).expect("seal");
                sealvault::open(&dk, &env, &ctx).expect("open")
            });
        });
    }
    group.bench_function("aes-gcm/key-per-call", |b| {
        b.iter(|| {
            let nonce = random_nonce();
            let ct = Aes256Gcm::new(black_box(&raw_key).into())
                .encrypt(Nonce::from_slice(&nonce), black_box(&pt[..]))
                .expect("aes-gcm encrypt");
            Aes256Gcm::new(black_box(&raw_key).into())
                .decrypt(Nonce::from_slice(&nonce), &ct[..])
                .expect("aes-gcm decrypt")
        });
    });
    group.bench_function("ring/key-per-call", |b| {
        b.iter(|| {
            let nonce = random_nonce();
            let mut buf = Vec::with_capacity(pt.len() + TAG_LEN);
            buf.extend_from_slice(black_box(&pt));
            ring_key(black_box(&raw_key))
                .seal_in_place_append_tag(
                    RingNonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    &mut buf,
                )
                .expect("ring seal");
            ring_open(&ring_key(black_box(&raw_key)), nonce, &buf)
        });
    });
    group.finish();
}

fn bench_envelope_key(c: &mut Criterion) {
    let dk = DataKey::generate();
    let ctx = small_context();
    let mut group = c.benchmark_group("envelope_key");
    configure(&mut group, 64);
    for (size, label) in [SIZES[0], SIZES[3]] {
        let envelope = sealvault::seal(&dk, &plaintext(size), &ctx).expect("seal");
        group.bench_function(BenchmarkId::new("sealvault", label), |b| {
            b.iter(|| sealvault::envelope_key(&dk, black_box(&envelope)).expect("envelope_key"));
        });
    }
    group.finish();
}

fn bench_parts(c: &mut Criterion) {
    let mut group = c.benchmark_group("parts");
    configure(&mut group, 64);
    group.bench_function("rng/thread_rng-32+12B", |b| {
        b.iter(|| {
            // Exactly the core's draw: a salt and a nonce from one handle.
            let mut salt = [0u8; 32];
            let mut nonce = [0u8; 12];
            let mut rng = rand::thread_rng();
            rng.fill_bytes(&mut salt);
            rng.fill_bytes(&mut nonce);
            (salt, nonce)
        });
    });
    group.bench_function("rng/getrandom-44B", |b| {
        b.iter(|| {
            let mut buf = [0u8; 44];
            getrandom::getrandom(&mut buf).expect("getrandom");
            buf
        });
    });
    // What `open` pays on drop of a 1 MiB plaintext beside a plain drop.
    let size = 1024 * 1024;
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_function("drop-1MiB/zeroizing", |b| {
        b.iter_batched(
            || Zeroizing::new(vec![1u8; size]),
            drop,
            BatchSize::LargeInput,
        );
    });
    // The same wipe through `[u8]::zeroize` (bulk fill + barrier) instead of
    // `Vec<u8>::zeroize` (one volatile write per byte).
    group.bench_function("drop-1MiB/slice-zeroize", |b| {
        b.iter_batched(
            || vec![1u8; size],
            |mut v| {
                v.as_mut_slice().zeroize();
                drop(v);
            },
            BatchSize::LargeInput,
        );
    });
    group.bench_function("drop-1MiB/plain", |b| {
        b.iter_batched(|| vec![1u8; size], drop, BatchSize::LargeInput);
    });
    group.bench_function("copy-1MiB/to_vec", |b| {
        let src = vec![1u8; size];
        b.iter(|| black_box(&src[..]).to_vec());
    });
    group.finish();
}

/// `criterion_group!` makes a public, undocumented `fn`; keep it private.
mod suite {
    use super::{bench_envelope_key, bench_open, bench_parts, bench_seal, bench_seal_open_64};
    use criterion::criterion_group;

    criterion_group!(
        benches,
        bench_seal_open_64,
        bench_envelope_key,
        bench_parts,
        bench_seal,
        bench_open
    );
}

criterion_main!(suite::benches);

//! Password verification at OWASP's argon2id parameters (m = 19456 KiB, t = 2, p = 1):
//! acctsec's `Hasher` against the bare `argon2` crate and the reference C implementation's
//! optimized build, in one group.
//!
//! `cargo bench -p acctsec-benches --bench hash`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use acctsec_core::Password;
use acctsec_core::rng::SystemRng;
use acctsec_hash::Hasher;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use criterion::{Criterion, criterion_group, criterion_main};
use password_hash::PasswordVerifier;
use password_hash::phc::PasswordHash;

const PASSWORD: &str = "correct horse battery staple";

fn verify(c: &mut Criterion) {
    let ours = Hasher::new().unwrap();
    let stored = ours.hash(&Password::new(PASSWORD), &mut SystemRng).unwrap();
    let password = Password::new(PASSWORD);

    let params = Params::new(19_456, 2, 1, Some(32)).unwrap();
    let bare = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let phc = PasswordHash::new(stored.as_str()).unwrap();
    let salt = phc.salt.unwrap();
    let mut memory = vec![Block::new(); params.block_count()];

    let c_hash = argon2_kdf::Hasher::new()
        .algorithm(argon2_kdf::Algorithm::Argon2id)
        .iterations(2)
        .memory_cost_kib(19_456)
        .threads(1)
        .salt_length(16)
        .hash_length(32)
        .hash(PASSWORD.as_bytes())
        .unwrap();

    let mut g = c.benchmark_group("argon2id_m19456_t2_p1");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    g.bench_function("acctsec/verify", |b| {
        b.iter(|| ours.verify(black_box(&password), &stored).unwrap());
    });
    g.bench_function("acctsec/verify_unknown", |b| {
        b.iter(|| ours.verify_unknown(black_box(&password)).unwrap());
    });
    g.bench_function("argon2-crate/verify_password", |b| {
        b.iter(|| {
            bare.verify_password(black_box(PASSWORD.as_bytes()), &phc)
                .unwrap()
        });
    });
    g.bench_function("argon2-crate/hash_into_reused_memory", |b| {
        b.iter(|| {
            let mut out = [0_u8; 32];
            bare.hash_password_into_with_memory(
                black_box(PASSWORD.as_bytes()),
                salt.as_ref(),
                &mut out,
                &mut memory[..],
            )
            .unwrap();
            out
        });
    });
    g.bench_function("c-reference-opt-avx2/verify", |b| {
        b.iter(|| assert!(c_hash.verify(black_box(PASSWORD.as_bytes()))));
    });
    g.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);

//! A statistical timing check of the equal-time promises of `acctsec-hash`, after dudect: many
//! interleaved samples of two kinds of call, and Welch's t-test on their times. |t| >= 4.5 means
//! the two can be told apart, and the run fails.
//!
//! - sign-in for an unknown account (`verify_unknown`) vs a wrong password for a real account;
//! - a wrong password against an outdated, cheaper hash vs one against a current hash.
//!
//! `cargo bench -p acctsec-benches --bench hash_timing` (`SAMPLES=n` per kind, default 300).

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use acctsec_benches::timing::{THRESHOLD, interleave, report, welch_t};
use acctsec_core::rng::SystemRng;
use acctsec_core::{Password, StoredPasswordHash};
use acctsec_hash::{Argon2Params, Hasher};

fn main() {
    let samples = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let hasher = Hasher::new().unwrap();
    let current = hasher
        .hash(&Password::new("the real password"), &mut SystemRng)
        .unwrap();
    // An outdated hash: m = 4096 KiB, t = 3 (a common default of older libraries).
    let old_hasher = Hasher::builder()
        .with_params(Argon2Params::new(4096, 3, 1).unwrap())
        .insecure_allow_weak_params()
        .build()
        .unwrap();
    let old: StoredPasswordHash = old_hasher
        .hash(&Password::new("the real password"), &mut SystemRng)
        .unwrap();
    let wrong = Password::new("a wrong guess");
    // Warm up the buffer pool and caches.
    for _ in 0..5 {
        let _ = hasher.verify(&wrong, &current);
        let _ = hasher.verify(&wrong, &old);
    }

    let mut failed = false;
    println!(
        "{samples} samples of each, interleaved; slowest 5% trimmed; |t| < {THRESHOLD} passes"
    );
    let (a, b) = interleave(
        samples,
        || assert!(!hasher.verify_unknown(&wrong).unwrap().is_valid()),
        || assert!(!hasher.verify(&wrong, &current).unwrap().is_valid()),
    );
    failed |= !report(
        "unknown user vs wrong password (current hash)",
        welch_t(a, b),
    );
    let (a, b) = interleave(
        samples,
        || assert!(!hasher.verify(&wrong, &old).unwrap().is_valid()),
        || assert!(!hasher.verify(&wrong, &current).unwrap().is_valid()),
    );
    failed |= !report(
        "wrong password: outdated m=4096,t=3 hash vs current hash",
        welch_t(a, b),
    );
    if failed {
        std::process::exit(1);
    }
}

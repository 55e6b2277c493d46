//! A statistical timing check of the equal-time promises of `acctsec-hash`, after dudect: many
//! interleaved samples of two kinds of call, and Welch's t-test on their times. |t| >= 4.5 means
//! the two can be told apart, and the run fails.
//!
//! - sign-in for an unknown account (`verify_unknown`) vs a wrong password for a real account;
//! - a wrong password against an outdated, cheaper hash vs one against a current hash.
//!
//! `cargo bench -p acctsec-benches --bench hash_timing` (`SAMPLES=n` per kind, default 300).

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use std::time::Instant;

use acctsec_core::rng::SystemRng;
use acctsec_core::{Password, StoredPasswordHash};
use acctsec_hash::{Argon2Params, Hasher};

const THRESHOLD: f64 = 4.5;

/// Mean and variance of `xs` after dropping the slowest 5% (scheduler noise).
fn trimmed_stats(mut xs: Vec<f64>) -> (f64, f64, f64) {
    xs.sort_by(f64::total_cmp);
    xs.truncate(xs.len() * 95 / 100);
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var, n)
}

fn welch_t(a: Vec<f64>, b: Vec<f64>) -> (f64, f64, f64) {
    let (ma, va, na) = trimmed_stats(a);
    let (mb, vb, nb) = trimmed_stats(b);
    ((ma - mb) / (va / na + vb / nb).sqrt(), ma, mb)
}

#[expect(
    clippy::disallowed_methods,
    reason = "a timing harness measures wall time"
)]
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e3
}

/// Runs `a` and `b` `samples` times each in a shuffled order, and returns their times in ms.
fn interleave(samples: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<bool> = (0..samples * 2).map(|i| i % 2 == 0).collect();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for first in order {
        if first {
            ta.push(time(&mut a));
        } else {
            tb.push(time(&mut b));
        }
    }
    (ta, tb)
}

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
    let mut report = |name: &str, (t, ma, mb): (f64, f64, f64)| {
        let verdict = if t.abs() < THRESHOLD {
            "same"
        } else {
            failed = true;
            "DIFFERENT"
        };
        println!("{name:<58} {ma:>8.3} ms vs {mb:>8.3} ms   t = {t:>7.2}   {verdict}");
    };
    println!(
        "{samples} samples of each, interleaved; slowest 5% trimmed; |t| < {THRESHOLD} passes"
    );
    let (a, b) = interleave(
        samples,
        || assert!(!hasher.verify_unknown(&wrong).unwrap().is_valid()),
        || assert!(!hasher.verify(&wrong, &current).unwrap().is_valid()),
    );
    report(
        "unknown user vs wrong password (current hash)",
        welch_t(a, b),
    );
    let (a, b) = interleave(
        samples,
        || assert!(!hasher.verify(&wrong, &old).unwrap().is_valid()),
        || assert!(!hasher.verify(&wrong, &current).unwrap().is_valid()),
    );
    report(
        "wrong password: outdated m=4096,t=3 hash vs current hash",
        welch_t(a, b),
    );
    if failed {
        std::process::exit(1);
    }
}

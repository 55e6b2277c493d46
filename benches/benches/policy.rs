//! Password policy evaluation against a bare zxcvbn call on the same inputs, and the cost of the
//! worst inputs the byte cap admits.
//!
//! `cargo bench -p acctsec-benches --bench policy`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use acctsec_core::Password;
use acctsec_policy::{Context, Policy};
use criterion::{Criterion, criterion_group, criterion_main};

fn policy(c: &mut Criterion) {
    let policy = Policy::default();
    let context = Context::new()
        .with_user_words("dana lee")
        .with_site_words("contoso");
    let inputs: Vec<&str> = context.words().collect();
    let passwords = acctsec_benches::ordinary_passwords(1000);
    let wrapped: Vec<Password> = passwords
        .iter()
        .map(|p| Password::new(p.as_str()))
        .collect();

    let mut g = c.benchmark_group("ordinary_passwords_x1000");
    g.sample_size(20);
    g.bench_function("acctsec-policy/evaluate", |b| {
        b.iter(|| {
            for p in &wrapped {
                black_box(policy.evaluate(p, &context).unwrap());
            }
        });
    });
    g.bench_function("zxcvbn/bare", |b| {
        b.iter(|| {
            for p in &passwords {
                black_box(zxcvbn::zxcvbn(p, &inputs));
            }
        });
    });
    g.finish();

    let printable: String = (0..64)
        .map(|i| char::from(b'!' + ((i * 37 + 11) % 94) as u8))
        .collect();
    let leet: String = "4@8(3691!|0$57+2".chars().cycle().take(64).collect();
    let long_weak = "password".repeat(125);
    // The costliest shape found: a short cycle of distinct look-alike characters.
    let cycle: String = "17|!4@0$3(".chars().cycle().take(1000).collect();
    let mut g = c.benchmark_group("worst_inputs");
    g.sample_size(20);
    for (name, text) in [
        ("random-printable-64", printable.as_str()),
        ("leetspeak-only-64", leet.as_str()),
        ("repeated-word-1000", long_weak.as_str()),
        ("lookalike-cycle-1000", cycle.as_str()),
    ] {
        let p = Password::new(text);
        g.bench_function(format!("acctsec-policy/{name}"), |b| {
            b.iter(|| policy.evaluate(black_box(&p), &context).unwrap());
        });
    }
    g.finish();
}

criterion_group!(benches, policy);
criterion_main!(benches);

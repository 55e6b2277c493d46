//! Password policy evaluation against a bare zxcvbn call on the same inputs, and the cost of the
//! worst inputs the byte cap admits.
//!
//! `cargo bench -p acctsec-benches --bench policy`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use acctsec_core::Password;
use acctsec_policy::{Context, Policy};
use criterion::{Criterion, criterion_group, criterion_main};

const WORDS: &[&str] = &[
    "summer", "dragon", "monkey", "sunshine", "purple", "tiger", "coffee", "garden", "silver",
    "rocket", "pepper", "winter", "forest", "castle", "banana", "ocean", "shadow", "thunder",
];
const SYMBOLS: &[char] = &['!', '@', '#', '$', '.', '_', '-', '*'];

/// 1,000 ordinary passwords as people make them: a word or two, capitals, digits, a symbol, a
/// year, some look-alike substitutions — from a fixed seed.
fn ordinary() -> Vec<String> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..1000)
        .map(|_| {
            let mut p = String::new();
            for _ in 0..=next(2) {
                let w = WORDS[next(WORDS.len())];
                if next(3) == 0 {
                    let mut c = w.chars();
                    p.extend(c.next().map(|f| f.to_ascii_uppercase()));
                    p.push_str(c.as_str());
                } else {
                    p.push_str(w);
                }
            }
            if next(2) == 0 {
                p = p.replace('a', "@").replace('o', "0");
            }
            match next(3) {
                0 => p.push_str(&format!("{}", 1960 + next(66))),
                1 => p.push_str(&format!("{}", next(1000))),
                _ => {}
            }
            if next(2) == 0 {
                p.push(SYMBOLS[next(SYMBOLS.len())]);
            }
            p
        })
        .collect()
}

fn policy(c: &mut Criterion) {
    let policy = Policy::default();
    let context = Context::new()
        .with_user_words("dana lee")
        .with_site_words("contoso");
    let inputs: Vec<&str> = context.words().collect();
    let passwords = ordinary();
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
    let mut g = c.benchmark_group("worst_inputs");
    g.sample_size(20);
    for (name, text) in [
        ("random-printable-64", printable.as_str()),
        ("leetspeak-only-64", leet.as_str()),
        ("repeated-word-1000", long_weak.as_str()),
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

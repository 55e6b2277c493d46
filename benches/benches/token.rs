//! Reset tokens: acctsec's issue and verify against a bare HMAC-SHA256 over the same bytes and
//! against the `jsonwebtoken` crate's HS256 with equivalent claims, in one group.
//!
//! `cargo bench -p acctsec-benches --bench token`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use acctsec_benches::JwtClaims;
use acctsec_core::{Purpose, Timestamp, UserId};
use acctsec_token::{BindingKey, KeyRing, SigningKey, Tokens};
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sha2::Sha256;

const SECRET: [u8; 32] = [0x42; 32];
const TTL: Duration = Duration::from_secs(15 * 60);

fn tokens(c: &mut Criterion) {
    let tokens = Tokens::new(
        KeyRing::new(SigningKey::from_bytes(&SECRET).unwrap()),
        BindingKey::from_bytes(&[0x3c; 32]).unwrap(),
    );
    let purpose = Purpose::PASSWORD_RESET;
    let user = UserId::from(1_234_567_890_u64);
    let bound = tokens
        .binding_key()
        .bind(&user, &[&7_u64.to_be_bytes(), b"ana@example.com"]);
    // jsonwebtoken checks `exp` against the wall clock: its token gets a far-future expiry.
    let now_secs = 1_800_000_000_u64;
    let now = Timestamp::from_unix_secs(i64::try_from(now_secs).unwrap());
    let mut rng = StdRng::seed_from_u64(7);
    let token = tokens
        .issue(&purpose, &user, &bound, TTL, now, &mut rng)
        .unwrap();
    let text = token.token.expose().to_owned();

    // The bytes acctsec signs for this token: its decoded length less the 32-byte tag.
    let signed = vec![0x5c_u8; text.len() * 3 / 4 - 32];
    let keyed = Hmac::<Sha256>::new_from_slice(&SECRET).unwrap();

    let jwt_claims = JwtClaims {
        sub: user.to_string(),
        pur: purpose.to_string(),
        iat: now_secs,
        exp: u64::MAX / 2,
        jti: "q83vEjRWeJCrze8SNFZ4kA".into(),
        bnd: "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
    };
    let enc = EncodingKey::from_secret(&SECRET);
    let dec = DecodingKey::from_secret(&SECRET);
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &jwt_claims, &enc).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);

    let mut g = c.benchmark_group("reset_token");
    g.bench_function("acctsec/issue", |b| {
        b.iter(|| {
            tokens
                .issue(black_box(&purpose), &user, &bound, TTL, now, &mut rng)
                .unwrap()
        });
    });
    g.bench_function("acctsec/verify", |b| {
        b.iter(|| {
            tokens
                .verify(black_box(&text), &purpose, &bound, now)
                .unwrap()
        });
    });
    g.bench_function("hmac-sha256/keyed-state-reused", |b| {
        b.iter(|| {
            let mut mac = keyed.clone();
            mac.update(black_box(&signed));
            mac.finalize()
        });
    });
    g.bench_function("hmac-sha256/fresh-key", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(black_box(&SECRET)).unwrap();
            mac.update(black_box(&signed));
            mac.finalize()
        });
    });
    g.bench_function("jsonwebtoken-hs256/encode", |b| {
        b.iter(|| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), black_box(&jwt_claims), &enc)
                .unwrap()
        });
    });
    g.bench_function("jsonwebtoken-hs256/decode", |b| {
        b.iter(|| jsonwebtoken::decode::<JwtClaims>(black_box(&jwt), &dec, &validation).unwrap());
    });
    g.finish();
}

criterion_group!(benches, tokens);
criterion_main!(benches);

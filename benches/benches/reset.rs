//! The forgot-password flow on the in-memory stores: a reset request (which must not wait on
//! mail) beside what a hand-rolled flow does before it sends mail inline (sign a JWT with the
//! same facts), and a completion at test and at production hashing parameters beside the one
//! argon2id hash every implementation pays.
//!
//! `cargo bench -p acctsec-benches --bench reset`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use acctsec::core::rng::SystemRng;
use acctsec::core::{ClientInfo, Email, Password};
use acctsec::hash::{Argon2Params, Hasher};
use acctsec::{OutboxWorker, WorkerSettings};
use acctsec_benches::{JwtClaims, account, memory_flows};
use acctsec_testkit::StubMailer;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

const NO_LIMIT: (u64, u64, u64) = (u64::MAX / 2, u64::MAX / 2, u64::MAX / 2);

fn request(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (flows, _) = memory_flows(
        [account(1, "ana@example.com")],
        NO_LIMIT,
        Hasher::new().unwrap(),
    );
    let client = ClientInfo::new().with_ip("203.0.113.9".parse().unwrap());
    let address = Email::parse("ana@example.com").unwrap();
    let key = EncodingKey::from_secret(&[0x42; 32]);
    let mut group = c.benchmark_group("reset request");
    group.bench_function("acctsec request_password_reset (memory stores)", |b| {
        b.iter(|| {
            runtime
                .block_on(flows.request_password_reset(black_box(&address), &client))
                .unwrap()
        });
    });
    group.bench_function("hand-rolled: jsonwebtoken HS256 reset token", |b| {
        b.iter(|| {
            let claims = JwtClaims {
                sub: "1".to_owned(),
                pur: "password_reset".to_owned(),
                iat: 1_800_000_000,
                exp: 1_800_000_900,
                jti: "0123456789abcdef0123456789abcdef".to_owned(),
                bnd: "ana@example.com:7".to_owned(),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), black_box(&claims), &key).unwrap()
        });
    });
    group.finish();
}

fn completion(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let test_params = Hasher::builder()
        .with_params(Argon2Params::new(64, 1, 1).unwrap())
        .insecure_allow_weak_params()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("reset completion");
    group.sample_size(10);
    for (name, hasher) in [
        ("test parameters (m=64 KiB, t=1)", test_params),
        (
            "production parameters (OWASP m=19456 KiB, t=2)",
            Hasher::new().unwrap(),
        ),
    ] {
        let (flows, _) = memory_flows([account(1, "ana@example.com")], NO_LIMIT, hasher);
        let flows = Arc::new(flows);
        let mailer = StubMailer::new();
        let worker = OutboxWorker::new(
            Arc::clone(&flows),
            mailer.clone(),
            WorkerSettings::default(),
        )
        .unwrap();
        let client = ClientInfo::new();
        let address = Email::parse("ana@example.com").unwrap();
        let n = AtomicU64::new(0);
        group.bench_function(format!("acctsec complete_password_reset, {name}"), |b| {
            b.iter_batched(
                || {
                    runtime.block_on(async {
                        flows
                            .request_password_reset(&address, &client)
                            .await
                            .unwrap();
                        // The worker sends the reset email and the last completion's notice.
                        while worker.run_once().await.unwrap().claimed > 0 {}
                    });
                    let sent = mailer.sent();
                    let reset = sent
                        .iter()
                        .rfind(|m| m.kind() == acctsec::core::MessageKind::PasswordReset)
                        .unwrap();
                    let token = reset.text().split("token=").nth(1).unwrap();
                    let token = token.split_whitespace().next().unwrap().to_owned();
                    let pw = format!(
                        "velvet harbour drifting kites number {}",
                        n.fetch_add(1, Ordering::Relaxed)
                    );
                    (token, Password::new(pw))
                },
                |(token, pw)| {
                    runtime
                        .block_on(flows.complete_password_reset(&token, &pw, &pw, &client))
                        .unwrap()
                },
                BatchSize::PerIteration,
            );
        });
    }
    let owasp = Hasher::new().unwrap();
    group.bench_function("floor: one argon2id hash, production parameters", |b| {
        let pw = Password::new("velvet harbour drifting seventeen kites");
        b.iter(|| owasp.hash(black_box(&pw), &mut SystemRng).unwrap());
    });
    group.finish();
}

criterion_group!(benches, request, completion);
criterion_main!(benches);

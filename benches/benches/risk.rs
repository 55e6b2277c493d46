//! Login-anomaly scoring: the bounded model (the production form: keyed hashes, count-min
//! population sketches, capped per-user tables) against the exact reference model, for a user
//! with 10, 1,000 and 100,000 prior sign-ins, over a population learned from a synthetic log.
//! Each scored attempt is an `Observation` (address, ASN, country; user agent, browser, OS,
//! device type; its time), as the evaluation reads it from a log: the bounded model hashes its
//! values and scores them, the exact one scores them.
//!
//! `cargo bench -p acctsec-benches --bench risk`

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use acctsec_core::{DeviceDigest, DeviceId, Timestamp, UserAgent, UserId};
use acctsec_risk::{
    AccountRisk, Attempt, Engine, History, MAX_PROFILE_ENCODED_BYTES, ModelKey, Observation,
    Population, SyntheticLog, UserModel,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn risk(c: &mut Criterion) {
    let log = SyntheticLog::new(1)
        .users(5_000)
        .days(180)
        .attacks_per_kind(200)
        .generate();
    let mut population = Population::new(ModelKey::new([9; 16]));
    let mut history = History::new();
    let mut models = std::collections::HashMap::<i64, UserModel>::new();
    for l in log
        .iter()
        .filter(|l| l.record.success && l.attacker.is_none())
    {
        let r = &l.record;
        let obs = Observation::from(r);
        let model = models.entry(r.user).or_default();
        population.learn(model, &population.hash_observation(&obs), r.at);
        history.learn(&UserId::from(r.user), &obs);
    }
    // Attempts to score: a slice of the log, owners' and attackers'.
    let attempts: Vec<Observation> = log
        .iter()
        .step_by(301)
        .take(1024)
        .map(|l| Observation::from(&l.record))
        .collect();
    eprintln!(
        "population: {} sign-ins of {} users learned; sketches {} bytes",
        population.logins(),
        population.users(),
        population.memory_bytes()
    );

    let mut group = c.benchmark_group("risk/score");
    group.throughput(Throughput::Elements(1));
    for prior in [10_u32, 1_000, 100_000] {
        // The scored user: a home address and a phone on carrier-shared addresses, browsers
        // updating, now and then somewhere else.
        let user = UserId::from(u64::MAX - u64::from(prior));
        let mut model = UserModel::default();
        for i in 0..prior {
            let ip = match i % 10 {
                0..=5 => "10.1.2.3".to_owned(),
                6..=8 => format!("10.3.0.{}", i % 256),
                _ => format!("10.{}.{}.{}", i % 60, i % 251, i % 13),
            };
            let asn = if i % 10 < 9 { "64513" } else { "64600" };
            let ua = format!(
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/{}.0",
                120 + i / 300
            );
            let browser = format!("Firefox {}.0", 120 + i / 300);
            let ip_levels = [ip.as_str(), asn, "NO"];
            let ua_levels = [ua.as_str(), browser.as_str(), "Linux", "desktop"];
            let at = Timestamp::from_unix_secs(i64::from(i) * 3_600);
            population.learn(&mut model, &population.hash(ip_levels, ua_levels), at);
            history.learn(&user, &Observation::new(ip_levels, ua_levels).at(at));
        }
        eprintln!(
            "user with {prior} prior sign-ins: bounded model stores {} bytes (of at most {}), \
             with the rules' profile at most {} bytes",
            model.to_bytes().len(),
            acctsec_risk::MAX_USER_MODEL_ENCODED_BYTES,
            acctsec_risk::MAX_USER_MODEL_ENCODED_BYTES + MAX_PROFILE_ENCODED_BYTES
        );
        // Attempted an hour after the user's last sign-in.
        let now = Timestamp::from_unix_secs(i64::from(prior) * 3_600);
        let scored: Vec<Observation> = attempts.iter().map(|o| o.clone().at(now)).collect();
        let mut next = scored.iter().cycle();
        group.bench_function(BenchmarkId::new("bounded", prior), |b| {
            b.iter(|| {
                let hashed = population.hash_observation(next.next().unwrap());
                black_box(population.score(&model, &hashed))
            });
        });
        let mut next = scored.iter().cycle();
        group.bench_function(BenchmarkId::new("exact", prior), |b| {
            b.iter(|| black_box(history.score(&user, next.next().unwrap())));
        });
    }
    group.finish();

    // The whole sign-in step without plug points: hashing, the model, the profile's rules and
    // the verdict with its reasons.
    let mut group = c.benchmark_group("risk/check");
    group.throughput(Throughput::Elements(1));
    let mut engine = Engine::new(Population::new(ModelKey::new([9; 16])));
    let mut state = AccountRisk::new();
    let device = DeviceDigest::of(
        &UserId::from(1_u64),
        &DeviceId::new("d-5f1c2a9e7b3d4c60a1b2").unwrap(),
    );
    let agents: Vec<UserAgent> = log
        .iter()
        .step_by(997)
        .take(64)
        .map(|l| l.record.user_agent.clone())
        .collect();
    for (i, l) in log.iter().take(2_000).enumerate() {
        let agent = &agents[i % agents.len()];
        let attempt = Attempt::new(l.record.at, l.record.ip, agent).with_device(device);
        let checked = engine.check(&state, &attempt);
        engine.learn(&mut state, checked);
    }
    let mut i = 0;
    group.bench_function("engine", |b| {
        b.iter(|| {
            i += 1;
            let l = &log[i % log.len()];
            let attempt = Attempt::new(l.record.at, l.record.ip, &agents[i % agents.len()])
                .with_device(device);
            black_box(engine.check(&state, &attempt))
        });
    });
    group.finish();

    let mut group = c.benchmark_group("risk/learn");
    group.throughput(Throughput::Elements(1));
    let mut model = UserModel::default();
    let mut next = attempts.iter().cycle();
    let mut t = 0;
    group.bench_function("bounded", |b| {
        b.iter(|| {
            let hashed = population.hash_observation(next.next().unwrap());
            t += 60;
            population.learn(&mut model, &hashed, Timestamp::from_unix_secs(t));
        });
    });
    group.finish();
}

criterion_group!(benches, risk);
criterion_main!(benches);

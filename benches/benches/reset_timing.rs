//! A statistical timing check of the reset request's promise: a request for an address with an
//! account, one without, one for a disabled account and one over its throttle take the same
//! time. Many interleaved samples of two kinds, Welch's t on their times; |t| >= 4.5 fails the
//! run. CI runs it as a step of its own.
//!
//! `cargo bench -p acctsec-benches --bench reset_timing` (`SAMPLES=n` per kind, default 2000).

#![allow(missing_docs, clippy::unwrap_used, clippy::panic)]

use acctsec::core::{ClientInfo, Email};
use acctsec::hash::Hasher;
use acctsec_benches::timing::{THRESHOLD, interleave, report, welch_t};
use acctsec_benches::{account, memory_flows};

fn main() {
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    // Every known and disabled address is asked for once, so none of them is throttled; the
    // throttled address is over its per-address limit from the start. The per-source and global
    // limits are set out of reach, so only the per-address one decides.
    let accounts = (0..samples + 20).flat_map(|i| {
        let known = account(i as u64, &format!("known{i}@example.com"));
        let mut disabled = account((1_000_000 + i) as u64, &format!("offed{i}@example.com"));
        disabled.disabled = true;
        [known, disabled]
    });
    let (flows, _) = memory_flows(
        accounts,
        (3, u64::MAX / 2, u64::MAX / 2),
        Hasher::new().unwrap(),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let client = ClientInfo::new().with_ip("203.0.113.9".parse().unwrap());
    let request = |address: &Email| {
        runtime
            .block_on(flows.request_password_reset(address, &client))
            .unwrap();
    };
    // Every kind's addresses have one length: the request's work (digests, sealing) grows with
    // the address, and a few letters more are a few nanoseconds that 2,000 samples can see.
    let addresses = |prefix: &str| -> Vec<Email> {
        (0..samples)
            .map(|i| Email::parse(&format!("{prefix}{i}@example.com")).unwrap())
            .collect()
    };
    let (known, unknown, disabled, more, throttled) = (
        addresses("known"),
        addresses("nobod"),
        addresses("offed"),
        addresses("other"),
        addresses("spent"),
    );
    // Each measured request is for an address seen before, so every path updates a counter
    // that exists (comparing a first request, which creates one, with a throttled address's
    // n-th would measure the store's insert against its update, not the throttle), and every
    // sample is a different address (one hot address would measure the cache). The throttled
    // addresses are over their limit of 3 before measuring starts.
    // Set up in step, so every kind's counters and rows are laid out in memory alike.
    for i in 0..samples {
        for address in [&known[i], &unknown[i], &disabled[i], &more[i]] {
            request(address);
        }
        for _ in 0..3 {
            request(&throttled[i]);
        }
    }
    // Warm up before the first measurement (its first samples ran slower than its last), on
    // addresses of its own: warming one kind's addresses up would leave them hotter in the cache.
    for address in &addresses("warmx") {
        request(address);
    }
    println!(
        "{samples} samples of each, interleaved; slowest 5% trimmed; |t| < {THRESHOLD} passes"
    );
    let mut ok = true;
    let (mut k, mut u) = (known.iter(), unknown.iter());
    let (a, b) = interleave(
        samples,
        || request(k.next().unwrap()),
        || request(u.next().unwrap()),
    );
    ok &= report("reset request: known vs unknown address", welch_t(a, b));
    let (mut u, mut d) = (more.iter(), disabled.iter());
    let (a, b) = interleave(
        samples,
        || request(u.next().unwrap()),
        || request(d.next().unwrap()),
    );
    ok &= report("reset request: unknown vs disabled account", welch_t(a, b));
    // The known and unknown addresses, each asked for a third time now: still under the limit;
    // each throttled address asked for a fourth and then a fifth time.
    let (mut k, mut t) = (known.iter(), throttled.iter());
    let (a, b) = interleave(
        samples,
        || request(k.next().unwrap()),
        || request(t.next().unwrap()),
    );
    ok &= report("reset request: known vs throttled address", welch_t(a, b));
    let (mut u, mut t) = (unknown.iter(), throttled.iter());
    let (a, b) = interleave(
        samples,
        || request(u.next().unwrap()),
        || request(t.next().unwrap()),
    );
    ok &= report("reset request: unknown vs throttled address", welch_t(a, b));
    if !ok {
        std::process::exit(1);
    }
}

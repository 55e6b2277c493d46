//! Finds argon2id parameters for this machine: all of a memory ceiling, and enough passes to take
//! a target time, timed on the real hasher with the system clock.
//!
//! ```text
//! cargo run --release -p acctsec-hash --example calibrate -- [--target-ms N] [--memory-mib N]
//! ```
//!
//! The defaults are a 250 ms target within 19 MiB (OWASP's memory). Run it on the machine that
//! will verify passwords, while it is otherwise idle; the output is the PHC parameters to pass
//! to `HasherBuilder::with_params`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use acctsec_hash::rng::SystemRng;
use acctsec_hash::{Argon2Params, Ceilings, Hasher, MAX_CEILING_M_KIB, Password, calibrate};

const USAGE: &str = "usage: calibrate [--target-ms N] [--memory-mib N]";

fn main() -> ExitCode {
    let (mut target_ms, mut memory_mib) = (250_u64, 19_u32);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        let ok = match (arg.as_str(), value) {
            ("--target-ms", Some(v)) => {
                target_ms = v;
                true
            }
            ("--memory-mib", Some(v)) => match u32::try_from(v) {
                Ok(v) if v <= MAX_CEILING_M_KIB / 1024 => {
                    memory_mib = v;
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let memory_kib = memory_mib * 1024;
    let ceilings = Ceilings {
        m_kib: memory_kib.max(Ceilings::default().m_kib),
        ..Ceilings::default()
    };
    let password = Password::new("calibration password");
    // The fastest of three hashes with `params` (the first also sizes the hasher's reused
    // memory).
    #[expect(
        clippy::disallowed_methods,
        reason = "this example is the host that measures: elapsed time on the monotonic clock"
    )]
    let time = |params: Argon2Params| {
        let hasher = Hasher::builder()
            .with_params(params)
            .with_ceilings(ceilings)
            // The single-pass probe is cheaper than any hash should be: it is timed, never kept.
            .insecure_allow_weak_params()
            .build();
        let Ok(hasher) = hasher else {
            return Duration::MAX;
        };
        let mut best = Duration::MAX;
        for _ in 0..3 {
            let start = Instant::now();
            if hasher.hash(&password, &mut SystemRng).is_err() {
                return Duration::MAX;
            }
            best = best.min(start.elapsed());
        }
        best
    };
    let target = Duration::from_millis(target_ms);
    match calibrate(target, memory_kib, time) {
        Ok(params) => {
            let took = time(params);
            if took == Duration::MAX {
                eprintln!(
                    "m={},t={}: the hasher refused these parameters",
                    params.m_kib(),
                    params.t()
                );
                return ExitCode::FAILURE;
            }
            println!(
                "m={},t={},p={}  ({} ms a hash here; target {target_ms} ms within {memory_mib} MiB)",
                params.m_kib(),
                params.t(),
                params.p(),
                took.as_millis()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}: the target must be above 0 and the memory at least 7 MiB");
            ExitCode::FAILURE
        }
    }
}

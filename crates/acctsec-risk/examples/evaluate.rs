//! Replays a sign-in log through the model and prints how well it told owners from attackers.
//!
//! ```text
//! cargo run --release -p acctsec-risk --example evaluate -- [--users N] [--days N] [--attacks N] [--seed N] [LOG.csv]
//! ```
//!
//! Without a file, it generates a synthetic log with simulated attackers. With a file in the RBA
//! data set's schema, it uses the log's own attack labels, or injects simulated attackers when
//! the log has none.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use acctsec_risk::{
    Engine, Error, Labelled, ModelKey, Population, RbaReader, Replay, SyntheticLog,
    inject_attackers,
};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut users, mut days, mut attacks, mut seed, mut path) = (5_000, 180, 1_000, 1, None);
    const USAGE: &str = "usage: evaluate [--users N] [--days N] [--attacks N] [--seed N] [LOG.csv]";
    while let Some(arg) = args.next() {
        if arg == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let mut number = |target: &mut u32| match args.next().and_then(|v| v.parse().ok()) {
            Some(v) => {
                *target = v;
                true
            }
            None => false,
        };
        let ok = match arg.as_str() {
            "--users" => number(&mut users),
            "--days" => number(&mut days),
            "--attacks" => number(&mut attacks),
            "--seed" => number(&mut seed),
            _ if !arg.starts_with('-') => {
                path = Some(arg);
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let log = match path {
        None => SyntheticLog::new(u64::from(seed))
            .users(users)
            .days(days)
            .attacks_per_kind(attacks)
            .generate(),
        Some(path) => match read(&path, attacks, u64::from(seed)) {
            Ok(log) => log,
            Err(message) => {
                eprintln!("{path}: {message}");
                return ExitCode::FAILURE;
            }
        },
    };
    let key = |salt: u32| {
        ModelKey::new(
            (seed ^ salt)
                .to_le_bytes()
                .repeat(4)
                .try_into()
                .unwrap_or([0; 16]),
        )
    };
    let engine = Engine::new(Population::new(key(0x5eed_0001)));
    let mut replay = Replay::new(key(0), engine);
    for (i, l) in log.iter().enumerate() {
        if let Err(e) = replay.observe(&l.record, l.attacker) {
            eprintln!("attempt {}: {e} (it, or one before it, is misdated)", i + 1);
            return ExitCode::FAILURE;
        }
    }
    println!("{}", replay.report());
    println!("{} attempts replayed", log.len());
    ExitCode::SUCCESS
}

/// Reads a log; skips (and counts) bad rows; injects attackers if it has no attack labels.
fn read(path: &str, attacks: u32, seed: u64) -> Result<Vec<Labelled>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let reader = RbaReader::new(BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut log = Vec::new();
    let mut bad = 0_u64;
    for row in reader {
        match row {
            Ok(record) => log.push(Labelled::from_log(record)),
            // Reading stopped: evaluating what came before would report on part of the log.
            Err(e @ (Error::Io { .. } | Error::Unterminated { .. })) => {
                return Err(format!("{path}: {e}"));
            }
            Err(e) => {
                bad += 1;
                if bad <= 10 {
                    eprintln!("{path}: {e}");
                }
            }
        }
    }
    if bad > 0 {
        eprintln!("{path}: {bad} rows skipped");
    }
    if log.iter().all(|l| l.attacker.is_none()) {
        inject_attackers(&mut log, attacks, seed);
    }
    Ok(log)
}

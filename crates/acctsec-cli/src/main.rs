//! The `acctsec` command: check passwords against the policy, hash, verify and calibrate,
//! generate keys, and build breached-password filters — for operators, and for developers
//! evaluating the libraries. Human output by default, `--json` for scripts.
//!
//! Exit codes: 0 success (an accepted password, a valid hash); 1 a negative verdict (a rejected
//! password, an invalid hash); 2 bad input or usage (a missing file, an empty standard input, a
//! malformed hash or list).
#![forbid(unsafe_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use acctsec_core::Password;
use acctsec_core::rng::{SystemRng, TryRng};
use acctsec_hash::{
    Argon2Params, Ceilings, Hasher, MAX_CEILING_M_KIB, MIN_CALIBRATED_M_KIB, RehashReason,
    Verified, calibrate,
};
use acctsec_policy::{
    BREACH_FILTER_FALSE_POSITIVE_RATE, BreachFailure, BreachFilter, Context, Policy,
};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

/// The most bytes read from standard input or one input file: a breach list slice, a batch of
/// passwords. Larger input is refused, not truncated.
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "acctsec",
    version,
    about = "Account-security tools: password policy, hashing, keys, breach filters"
)]
struct Cli {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The password policy (NIST SP 800-63B-4).
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Hash the password read from standard input (one line) with argon2id.
    Hash {
        /// Memory in KiB, passes and lanes (default: OWASP's m=19456,t=2,p=1).
        #[arg(long, value_parser = parse_params)]
        params: Option<Argon2Params>,
    },
    /// Verify the password read from standard input (one line) against a stored hash
    /// (argon2, bcrypt, scrypt, PBKDF2): valid, valid but to be rehashed (and why), or invalid.
    Verify {
        /// The stored hash.
        hash: String,
    },
    /// Find argon2id parameters that take about a target time on this machine.
    Calibrate {
        /// The time one hash should take, in milliseconds.
        #[arg(long, default_value_t = 250)]
        target_ms: u64,
        /// The memory one hash may use, in MiB (at least 7).
        #[arg(long, default_value_t = 19)]
        max_memory: u32,
    },
    /// Secret keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Breached-password data.
    #[command(subcommand)]
    Breach(BreachCommand),
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Judge passwords given as arguments, or one per line of standard input.
    Check {
        /// The passwords (standard input when none are given).
        passwords: Vec<String>,
        /// The account's email address, whose local part a password may not contain.
        #[arg(long)]
        email: Option<String>,
        /// The person's or the site's own words (names, the service's name).
        #[arg(long)]
        words: Option<String>,
        /// A breach filter made by `breach build-filter`.
        #[arg(long)]
        breach_filter: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// A random secret key (for token signing, binding, the outbox seal), as hex.
    Generate {
        /// Its length in bytes (32 to 128).
        #[arg(long, default_value_t = 32)]
        bytes: usize,
    },
}

#[derive(Debug, Subcommand)]
enum BreachCommand {
    /// Build the offline breach filter from a list of `SHA1HEX:count` lines.
    BuildFilter {
        /// The list (a file of `HEX:count` lines, as the public corpus ships).
        input: PathBuf,
        /// Where to write the filter.
        output: PathBuf,
    },
}

/// A failure the command reports: a sentence and the exit code.
struct Failure(String, u8);

impl Failure {
    fn input(message: impl Into<String>) -> Self {
        Self(message.into(), 2)
    }
}

fn parse_params(text: &str) -> Result<Argon2Params, String> {
    let mut values = [None; 3];
    for part in text.split(',') {
        let (name, value) = part.split_once('=').ok_or("expected m=…,t=…,p=…")?;
        let value: u32 = value
            .parse()
            .map_err(|_| format!("{name} is not a number"))?;
        let slot = match name {
            "m" => 0,
            "t" => 1,
            "p" => 2,
            _ => return Err(format!("unknown parameter {name}")),
        };
        values[slot] = Some(value);
    }
    match values {
        [Some(m), Some(t), Some(p)] => Argon2Params::new(m, t, p).map_err(|e| e.to_string()),
        _ => Err("expected m=…,t=…,p=…".to_owned()),
    }
}

/// Standard input, bounded, as text.
fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::input(format!("standard input could not be read: {e}")))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::input("standard input is too large"));
    }
    Ok(text)
}

/// The one password on standard input (its line ending removed).
fn password_from_stdin() -> Result<Password, Failure> {
    let text = read_stdin()?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(Failure::input("expected a password on standard input"));
    }
    Ok(Password::new(line))
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::input(format!("{} could not be opened: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::input(format!("{} could not be read: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::input(format!("{} is too large", path.display())));
    }
    Ok(bytes)
}

/// A spinner on standard error, for work that takes more than a moment; hidden when standard
/// error is not a terminal.
fn spinner(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn policy_check(
    passwords: Vec<String>,
    email: Option<String>,
    words: Option<String>,
    breach_filter: Option<PathBuf>,
    json: bool,
) -> Result<(Value, String, bool), Failure> {
    let passwords: Vec<String> = if passwords.is_empty() {
        let text = read_stdin()?;
        text.lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    } else {
        passwords
    };
    if passwords.is_empty() {
        return Err(Failure::input(
            "no password given, as arguments or on standard input",
        ));
    }
    let mut context = Context::new();
    if let Some(email) = email {
        let email = acctsec_core::Email::parse(&email)
            .map_err(|e| Failure::input(format!("--email: {e}")))?;
        context = context.with_email(&email);
    }
    if let Some(words) = words {
        context = context.with_user_words(&words);
    }
    let filter = breach_filter
        .map(|path| {
            BreachFilter::from_bytes(&read_file(&path)?)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))
        })
        .transpose()?;
    let policy = Policy::default();
    let mut verdicts = Vec::new();
    let mut text = String::new();
    let mut all_accepted = true;
    for (n, typed) in passwords.into_iter().enumerate() {
        let password = Password::new(typed);
        let assessment = match &filter {
            Some(filter) => now_or_never(policy.evaluate_with_breach(
                &password,
                &context,
                filter,
                BreachFailure::Closed,
            ))
            .ok_or_else(|| Failure::input("the breach filter did not answer at once"))?,
            None => policy.evaluate(&password, &context),
        }
        .map_err(|e| Failure::input(format!("password {}: {e}", n + 1)))?;
        all_accepted &= assessment.accepted;
        let reasons: Vec<Value> = assessment
            .violations
            .iter()
            .map(|v| json!({"code": v.code.code(), "message": v.message}))
            .collect();
        verdicts.push(json!({
            "accepted": assessment.accepted,
            "length": assessment.length,
            "score": assessment.strength.score,
            "violations": reasons,
            "warning": assessment.strength.warning,
            "suggestions": assessment.strength.suggestions,
        }));
        if !json {
            let verdict = if assessment.accepted {
                "accepted"
            } else {
                "rejected"
            };
            text.push_str(&format!(
                "password {}: {verdict} (strength {}/4)\n",
                n + 1,
                assessment.strength.score
            ));
            for v in &assessment.violations {
                text.push_str(&format!("  - {}: {}\n", v.code.code(), v.message));
            }
            for s in &assessment.strength.suggestions {
                text.push_str(&format!("  suggestion: {s}\n"));
            }
        }
    }
    Ok((Value::Array(verdicts), text, all_accepted))
}

/// The output of a future that is ready when first polled — an in-memory breach filter's check
/// is — or `None`; no async runtime needed.
fn now_or_never<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(future).poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

fn verify(hash: &str, json: bool) -> Result<(Value, String, bool), Failure> {
    let stored = acctsec_core::StoredPasswordHash::new(hash)
        .map_err(|e| Failure::input(format!("the hash: {e}")))?;
    let password = password_from_stdin()?;
    let hasher = Hasher::new().map_err(|e| Failure::input(e.to_string()))?;
    let verdict = hasher
        .verify(&password, &stored)
        .map_err(|e| Failure::input(format!("the hash: {e}")))?;
    let (word, reason, ok) = match verdict {
        Verified::Valid => ("valid", None, true),
        Verified::ValidNeedsRehash(reason) => (
            "valid, rehash",
            Some(match reason {
                RehashReason::Algorithm => "algorithm",
                RehashReason::Parameters => "parameters",
                RehashReason::Pepper => "pepper",
                _ => "other",
            }),
            true,
        ),
        _ => ("invalid", None, false),
    };
    let text = match (json, reason) {
        (true, _) => String::new(),
        (false, Some(reason)) => format!("{word}: {reason}\n"),
        (false, None) => format!("{word}\n"),
    };
    Ok((json!({"verdict": word, "rehash": reason}), text, ok))
}

#[expect(
    clippy::disallowed_methods,
    reason = "the command is the host: it measures elapsed time on the monotonic clock"
)]
fn time_once(params: Argon2Params, ceilings: Ceilings) -> Duration {
    let Ok(hasher) = Hasher::builder()
        .with_params(params)
        .with_ceilings(ceilings)
        .build()
    else {
        return Duration::MAX;
    };
    let password = Password::new("calibration password");
    // The fastest of three (the first also sizes the hasher's reused memory).
    (0..3)
        .map(|_| {
            let start = std::time::Instant::now();
            let _ = hasher.hash(&password, &mut SystemRng);
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::MAX)
}

fn calibrate_command(target_ms: u64, max_memory: u32) -> Result<(Value, String, bool), Failure> {
    let memory_kib = max_memory
        .checked_mul(1024)
        .filter(|m| (MIN_CALIBRATED_M_KIB..=MAX_CEILING_M_KIB).contains(m))
        .ok_or_else(|| {
            Failure::input(format!(
                "--max-memory must be {} to {} MiB",
                MIN_CALIBRATED_M_KIB / 1024,
                MAX_CEILING_M_KIB / 1024
            ))
        })?;
    if target_ms == 0 {
        return Err(Failure::input("--target-ms must be above zero"));
    }
    let ceilings = Ceilings {
        m_kib: memory_kib.max(Ceilings::default().m_kib),
        ..Ceilings::default()
    };
    let bar = spinner("timing argon2id on this machine…");
    let params = calibrate(Duration::from_millis(target_ms), memory_kib, |p| {
        time_once(p, ceilings)
    })
    .map_err(|e| Failure::input(e.to_string()))?;
    bar.finish_and_clear();
    let took = time_once(params, ceilings);
    let text = format!(
        "m={},t={},p={} (one hash took {} ms here)\n",
        params.m_kib(),
        params.t(),
        params.p(),
        took.as_millis()
    );
    let value = json!({"m_kib": params.m_kib(), "t": params.t(), "p": params.p(), "measured_ms": took.as_millis()});
    Ok((value, text, true))
}

fn keys_generate(bytes: usize) -> Result<(Value, String, bool), Failure> {
    if !(32..=128).contains(&bytes) {
        return Err(Failure::input("--bytes must be 32 to 128"));
    }
    let mut key = vec![0_u8; bytes];
    SystemRng
        .try_fill_bytes(&mut key)
        .map_err(|e| Failure(format!("the system's random generator failed: {e}"), 2))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    Ok((json!({"key": hex}), format!("{hex}\n"), true))
}

fn build_filter(input: &PathBuf, output: &PathBuf) -> Result<(Value, String, bool), Failure> {
    let bytes = read_file(input)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::input(format!("{} is not text", input.display())))?;
    let bar = spinner("building the filter…");
    let filter = BreachFilter::from_hash_lines(&text)
        .map_err(|e| Failure::input(format!("{}: {e}", input.display())))?;
    let saved = filter.to_bytes();
    bar.finish_and_clear();
    std::fs::write(output, &saved)
        .map_err(|e| Failure::input(format!("{} could not be written: {e}", output.display())))?;
    let value = json!({
        "entries": filter.hashes(),
        "bytes": saved.len(),
        "false_positive_rate": BREACH_FILTER_FALSE_POSITIVE_RATE,
    });
    let text = format!(
        "{} entries, {} bytes, false-positive rate about 1 in {}\n",
        filter.hashes(),
        saved.len(),
        (1.0 / BREACH_FILTER_FALSE_POSITIVE_RATE).round()
    );
    Ok((value, text, true))
}

fn run(cli: Cli) -> Result<(Value, String, bool), Failure> {
    let json = cli.json;
    match cli.command {
        Command::Policy(PolicyCommand::Check {
            passwords,
            email,
            words,
            breach_filter,
        }) => policy_check(passwords, email, words, breach_filter, json),
        Command::Hash { params } => {
            let password = password_from_stdin()?;
            let mut builder = Hasher::builder();
            if let Some(params) = params {
                builder = builder.with_params(params);
            }
            let hasher = builder
                .build()
                .map_err(|e| Failure::input(format!("--params: {e}")))?;
            let hash = hasher
                .hash(&password, &mut SystemRng)
                .map_err(|e| Failure::input(e.to_string()))?;
            Ok((
                json!({"hash": hash.as_str()}),
                format!("{}\n", hash.as_str()),
                true,
            ))
        }
        Command::Verify { hash } => verify(&hash, json),
        Command::Calibrate {
            target_ms,
            max_memory,
        } => calibrate_command(target_ms, max_memory),
        Command::Keys(KeysCommand::Generate { bytes }) => keys_generate(bytes),
        Command::Breach(BreachCommand::BuildFilter { input, output }) => {
            build_filter(&input, &output)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok((value, text, ok)) => {
            if json {
                println!("{value}");
            } else {
                print!("{text}");
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(Failure(message, code)) => {
            if json {
                println!("{}", json!({"error": message}));
            } else {
                eprintln!("acctsec: {message}");
            }
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_or_say_why() {
        let p = parse_params("m=8192,t=3,p=1").unwrap();
        assert_eq!((p.m_kib(), p.t(), p.p()), (8192, 3, 1));
        assert!(parse_params("m=8192,t=3").is_err());
        assert!(parse_params("m=x,t=3,p=1").is_err());
        assert!(parse_params("q=1,t=3,p=1").is_err());
    }
}

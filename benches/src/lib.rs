//! Criterion benches of acctsec, side by side with the peers a user would pick instead. The
//! benches live in `benches/`; `BENCHMARKS.md` at the workspace root records their figures and
//! the command that reproduces them. This library holds what several benches share.
#![forbid(unsafe_code)]

use acctsec::core::{Account, Email, UserId};
use acctsec::hash::{HashPool, Hasher};
use acctsec::token::{BindingKey, KeyRing, SigningKey, Tokens};
use acctsec::{Config, Flows, MailSeal};
use acctsec_testkit::MemoryStore;

/// The JWT a hand-rolled reset flow would carry: the same facts as an acctsec token.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct JwtClaims {
    /// The account.
    pub sub: String,
    /// What it is for.
    pub pur: String,
    /// Issued at, seconds.
    pub iat: u64,
    /// Expires at, seconds.
    pub exp: u64,
    /// A random id, for single use.
    pub jti: String,
    /// The account state it is bound to.
    pub bnd: String,
}

/// The flows over one in-memory store holding `accounts`, with `limits` (per address, per source,
/// in all) on reset requests and `hasher`'s parameters.
///
/// # Panics
///
/// If the fixed keys or settings are refused (they are valid).
#[must_use]
pub fn memory_flows(
    accounts: impl IntoIterator<Item = Account>,
    limits: (u64, u64, u64),
    hasher: Hasher,
) -> (Flows<MemoryStore, MemoryStore>, MemoryStore) {
    let store = MemoryStore::new();
    for account in accounts {
        store
            .insert_account(account)
            .expect("fixture accounts are distinct");
    }
    let tokens = Tokens::builder(
        KeyRing::new(SigningKey::from_bytes(&[0x5e; 32]).expect("a 32-byte key")),
        BindingKey::from_bytes(&[0x3c; 32]).expect("a 32-byte key"),
    )
    .with_max_lifetime(acctsec::DEFAULT_EMAIL_UNDO_TTL)
    .build()
    .expect("valid token settings");
    let config = Config::builder("https://example.com/account")
        .with_reset_limits(limits.0, limits.1, limits.2)
        .build()
        .expect("valid settings");
    let flows = Flows::builder(
        store.clone(),
        store.clone(),
        tokens,
        MailSeal::from_bytes(&[7; 32]).expect("a 32-byte key"),
        config,
    )
    .with_hasher(HashPool::builder(hasher).build().expect("a pool"))
    .build()
    .expect("valid flows");
    (flows, store)
}

/// An enabled account with this id and address and no password.
///
/// # Panics
///
/// If `address` is not an email address.
#[must_use]
pub fn account(id: u64, address: &str) -> Account {
    Account::new(
        UserId::from(id),
        Email::parse(address).expect("a fixture address"),
        None,
    )
}

const WORDS: &[&str] = &[
    "summer",
    "dragon",
    "monkey",
    "sunshine",
    "purple",
    "tiger",
    "coffee",
    "garden",
    "silver",
    "rocket",
    "pepper",
    "winter",
    "forest",
    "castle",
    "banana",
    "ocean",
    "shadow",
    "thunder",
    "michael",
    "jessica",
    "football",
    "princess",
    "charlie",
    "freedom",
    "whatever",
    "butterfly",
];
const SYMBOLS: &[char] = &['!', '@', '#', '$', '.', '_', '-', '*'];

/// `n` ordinary passwords as people make them — one or two common words or names, a capital,
/// look-alike substitutions, a year or a number, a symbol — from a fixed seed, so every run and
/// every bench sees the same list.
#[must_use]
pub fn ordinary_passwords(n: usize) -> Vec<String> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % u64::try_from(bound).unwrap_or(1)).unwrap_or(0)
    };
    (0..n)
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
                0 => p.push_str(&(1960 + next(66)).to_string()),
                1 => p.push_str(&next(1000).to_string()),
                _ => {}
            }
            if next(2) == 0 {
                p.push(SYMBOLS[next(SYMBOLS.len())]);
            }
            p
        })
        .collect()
}

/// Statistical timing checks after dudect: many interleaved samples of two kinds of call, and
/// Welch's t-test on their times. |t| ≥ [`timing::THRESHOLD`] means the two can be told apart.
pub mod timing {
    use std::time::Instant;

    /// The |t| at or above which two kinds of call are taken to be told apart.
    pub const THRESHOLD: f64 = 4.5;

    /// Mean, variance and count of `xs` after dropping the slowest 5% (scheduler noise).
    fn trimmed_stats(mut xs: Vec<f64>) -> (f64, f64, f64) {
        xs.sort_by(f64::total_cmp);
        xs.truncate(xs.len() * 95 / 100);
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var, n)
    }

    /// Welch's t of two samples (trimmed), and their means.
    #[must_use]
    pub fn welch_t(a: Vec<f64>, b: Vec<f64>) -> (f64, f64, f64) {
        let (ma, va, na) = trimmed_stats(a);
        let (mb, vb, nb) = trimmed_stats(b);
        ((ma - mb) / (va / na + vb / nb).sqrt(), ma, mb)
    }

    /// How long `f` takes, in milliseconds.
    #[expect(
        clippy::disallowed_methods,
        reason = "a timing harness measures wall time"
    )]
    pub fn time(f: impl FnOnce()) -> f64 {
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e3
    }

    /// A shuffled order of `samples` `true`s and as many `false`s, from a fixed seed.
    #[must_use]
    pub fn shuffled_order(samples: usize) -> Vec<bool> {
        let mut order: Vec<bool> = (0..samples * 2).map(|i| i % 2 == 0).collect();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).unwrap_or(0);
            order.swap(i, j);
        }
        order
    }

    /// Runs `a` and `b` `samples` times each in a shuffled order, and returns their times in ms.
    pub fn interleave(
        samples: usize,
        mut a: impl FnMut(),
        mut b: impl FnMut(),
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        for first in shuffled_order(samples) {
            if first {
                ta.push(time(&mut a));
            } else {
                tb.push(time(&mut b));
            }
        }
        (ta, tb)
    }

    /// Prints one comparison and says whether it passed.
    #[must_use]
    pub fn report(name: &str, (t, ma, mb): (f64, f64, f64)) -> bool {
        let same = t.abs() < THRESHOLD;
        let verdict = if same { "same" } else { "DIFFERENT" };
        println!("{name:<58} {ma:>9.4} ms vs {mb:>9.4} ms   t = {t:>7.2}   {verdict}");
        same
    }
}

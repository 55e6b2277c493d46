//! Integration tests of acctsec-hash: argon2id hashing, legacy formats and the pool.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

use acctsec_core::{Password, StoredPasswordHash};

mod argon2id;
#[cfg(all(feature = "bcrypt", feature = "pbkdf2", feature = "scrypt"))]
mod legacy;
#[cfg(feature = "tokio")]
mod pool;

fn pw(s: &str) -> Password {
    Password::new(s)
}

fn stored(s: &str) -> StoredPasswordHash {
    StoredPasswordHash::new(s).unwrap()
}

/// The (password, stored hash) pairs of a vector file: one tab-separated pair a line, `#`
/// comments and blank lines skipped.
fn tsv_vectors(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (pw, hash) = l.split_once('\t').unwrap();
            (pw.to_owned(), hash.to_owned())
        })
        .collect()
}

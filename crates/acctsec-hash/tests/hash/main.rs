//! Integration tests of acctsec-hash: argon2id hashing, legacy formats and the pool.

// Test code: unwrapping and panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::panic)]

mod argon2id;
#[cfg(all(feature = "bcrypt", feature = "pbkdf2", feature = "scrypt"))]
mod legacy;
#[cfg(feature = "tokio")]
mod pool;

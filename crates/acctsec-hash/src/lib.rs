#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod calibrate;
mod hasher;
mod legacy;
mod params;
mod pepper;
#[cfg(feature = "tokio")]
mod pool;

/// The core types this crate's API takes, so one dependency is enough: the password, the stored
/// hash, and the randomness source (`rng::SystemRng`).
pub use acctsec_core::{Password, StoredPasswordHash, rng};
pub use calibrate::{MAX_CALIBRATED_T, MIN_CALIBRATED_M_KIB, calibrate};
pub use hasher::{Hasher, HasherBuilder, MAX_PASSWORD_BYTES, MemoryStats, RehashReason, Verified};
pub use legacy::BCRYPT_MAX_PASSWORD_BYTES;
pub use params::{
    Argon2Params, Ceilings, DEFAULT_CEILING_BCRYPT_COST, DEFAULT_CEILING_M_KIB,
    DEFAULT_CEILING_OUTPUT_BYTES, DEFAULT_CEILING_P, DEFAULT_CEILING_PBKDF2_ROUNDS,
    DEFAULT_CEILING_SCRYPT_LOG_N, DEFAULT_CEILING_T, DEFAULT_CEILING_WORK_FACTOR, DEFAULT_M_KIB,
    DEFAULT_P, DEFAULT_T, MAX_CEILING_BCRYPT_COST, MAX_CEILING_M_KIB, MAX_CEILING_PBKDF2_ROUNDS,
    MAX_CEILING_WORK_FACTOR, MIN_WORK_KIB, OUTPUT_BYTES, SALT_BYTES,
};
pub use pepper::{MAX_PEPPER_BYTES, MAX_PEPPER_ID_BYTES, MIN_PEPPER_BYTES, Pepper, PepperRing};
#[cfg(feature = "tokio")]
pub use pool::{DEFAULT_QUEUE_PER_PERMIT, DEFAULT_QUEUE_TIMEOUT, HashPool, HashPoolBuilder};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why hashing or verifying could not be done. A wrong password is not an error: it is
/// [`Verified::Invalid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The password is longer than [`MAX_PASSWORD_BYTES`].
    #[error("password is longer than the accepted maximum")]
    PasswordTooLong,
    /// The stored hash is not a well-formed PHC string this crate understands.
    #[error("stored hash is malformed")]
    MalformedHash,
    /// The stored hash uses an algorithm this build does not verify.
    #[error("stored hash uses an unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The stored hash asks for more memory, iterations, lanes or output than the ceilings allow.
    #[error("stored hash parameters exceed the configured ceilings")]
    HostileParameters,
    /// The stored hash names a pepper the hasher does not have.
    #[error("stored hash names an unknown pepper")]
    UnknownPepper,
    /// A pepper's id or secret is out of bounds, or its id is already in the ring.
    #[error("pepper id or secret is invalid")]
    InvalidPepper,
    /// Parameters that Argon2 does not accept.
    #[error("invalid argon2 parameters")]
    InvalidParameters,
    /// Parameters below OWASP's cheapest recommended configuration.
    #[error("argon2 parameters are weaker than recommended")]
    WeakParameters,
    /// The random number generator failed.
    #[error("the random number generator failed")]
    Randomness,
    /// The hashing pool's queue is full, or waiting for a permit timed out: try again later.
    #[error("password hashing is busy; try again later")]
    Busy,
    /// A hashing task was cancelled or panicked.
    #[error("a password hashing task failed")]
    WorkerFailed,
    /// A pool with no permits, or more than tokio allows.
    #[error("invalid hashing pool settings")]
    InvalidPool,
    /// Memory for Argon2 could not be allocated.
    #[error("not enough memory for password hashing")]
    OutOfMemory,
}

impl Error {
    /// Whether the error is about the stored hash (so the caller's password was never checked).
    #[must_use]
    pub const fn is_about_stored_hash(self) -> bool {
        matches!(
            self,
            Self::MalformedHash
                | Self::UnsupportedAlgorithm
                | Self::HostileParameters
                | Self::UnknownPepper
        )
    }
}

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod blocklist;
mod breach;
mod context;
mod normalize;
mod policy;
mod range;

pub use blocklist::{
    Blocklist, MAX_BLOCKLIST_CANDIDATE_BYTES, MAX_BLOCKLIST_ENTRIES, MAX_BLOCKLIST_ENTRY_BYTES,
};
pub use breach::{
    BREACH_FILTER_FALSE_POSITIVE_RATE, BREACH_FILTER_MAX_FALSE_POSITIVE_RATE, BreachFilter,
    BreachOracle, Breached, MAX_BREACH_HASHES, MAX_BREACH_LINE_BYTES, password_sha1,
};
pub use context::{
    Context, MAX_CONTEXT_TEXT_BYTES, MAX_CONTEXT_WORD_CHARS, MAX_CONTEXT_WORDS,
    MIN_CONTEXT_WORD_CHARS,
};
pub use normalize::Normalization;
pub use policy::{
    AgeAdvice, Assessment, BreachCheck, BreachFailure, Composition, DEFAULT_MAX_BYTES,
    DEFAULT_MIN_LENGTH, DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR, DEFAULT_MIN_SCORE,
    MAX_LOOKALIKE_KINDS, MAX_MAX_BYTES, MIN_MAX_BYTES, Policy, PolicyBuilder,
    STRENGTH_WINDOW_CHARS, Strength, Violation, ViolationCode,
};
pub use range::{
    DEFAULT_RANGE_CACHE_BYTES, DEFAULT_RANGE_TIMEOUT, MAX_RANGE_ENTRIES, MAX_RANGE_RESPONSE_BYTES,
    RangeOracle, RangeTransport,
};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a policy could not judge a password or be built. A password that breaks a rule is not an
/// error: it is an [`Assessment`] with violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The password is longer than the policy's byte cap: refused, never truncated.
    #[error("password is longer than the accepted maximum")]
    PasswordTooLong,
    /// The policy's settings are inconsistent.
    #[error("invalid password policy: {0}")]
    InvalidSettings(&'static str),
    /// A blocklist could not be built.
    #[error("invalid blocklist: {0}")]
    Blocklist(&'static str),
    /// A breach list or filter could not be read (`line` is 0 for a saved filter).
    #[error("invalid breach data at line {line}: {reason}")]
    BreachList {
        /// The first bad line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The breach oracle could not answer, and the policy fails closed.
    #[error("the breached-password check is unavailable")]
    BreachCheckUnavailable,
}

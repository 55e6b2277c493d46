#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod blocklist;
mod context;
mod normalize;
mod policy;

pub use blocklist::{Blocklist, MAX_BLOCKLIST_ENTRIES, MAX_BLOCKLIST_ENTRY_BYTES};
pub use context::{Context, MAX_CONTEXT_WORD_CHARS, MAX_CONTEXT_WORDS, MIN_CONTEXT_WORD_CHARS};
pub use normalize::Normalization;
pub use policy::{
    AgeAdvice, Assessment, Composition, DEFAULT_MAX_BYTES, DEFAULT_MIN_LENGTH,
    DEFAULT_MIN_LENGTH_WITH_SECOND_FACTOR, DEFAULT_MIN_SCORE, MAX_MAX_BYTES, MIN_MAX_BYTES, Policy,
    PolicyBuilder, STRENGTH_WINDOW_CHARS, Strength, Violation, ViolationCode,
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
}

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod b64;
mod code;
mod key;
mod token;

pub use code::{
    Code, Codes, CodesBuilder, DEFAULT_CODE_ATTEMPTS, DEFAULT_CODE_DIGITS, IssuedCode,
    MAX_CODE_DIGITS, MAX_CODE_INPUT_BYTES, MAX_CODE_LIFETIME, MIN_CODE_DIGITS,
};
pub use key::{KeyId, KeyRing, MAX_KEY_BYTES, MAX_KEYS, MIN_KEY_BYTES, SigningKey};
pub use token::{
    BindingKey, Claims, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, DEFAULT_RESET_TTL, IssuedToken,
    MAX_LEEWAY, MAX_LIFETIME_CEILING, MAX_TOKEN_CHARS, Opened, Rejection, TOKEN_VERSION, Token,
    Tokens, TokensBuilder, digest,
};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a key, a configuration or an issue failed. A token that fails verification is a
/// [`Rejection`], not an `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key secret shorter than [`MIN_KEY_BYTES`].
    #[error("key secret is shorter than 32 bytes")]
    KeyTooShort,
    /// A key secret longer than [`MAX_KEY_BYTES`].
    #[error("key secret is longer than 128 bytes")]
    KeyTooLong,
    /// A key with the same id is already in the ring.
    #[error("a key with this id is already in the ring")]
    DuplicateKeyId,
    /// The ring already holds [`MAX_KEYS`] keys.
    #[error("the key ring is full")]
    TooManyKeys,
    /// A lifetime that is zero, not whole milliseconds, or over the allowed maximum.
    #[error("lifetime is zero, not whole milliseconds, or over the maximum")]
    InvalidLifetime,
    /// A leeway over [`MAX_LEEWAY`] or not whole milliseconds.
    #[error("leeway is over the maximum or not whole milliseconds")]
    InvalidLeeway,
    /// A time so late that a token or code issued at it could not expire: its expiry (for a
    /// token, plus the largest leeway) is past the latest time there is (a broken clock).
    #[error("the time is too late to issue a token or code at")]
    TimeOutOfRange,
    /// A digit count outside [`MIN_CODE_DIGITS`]..=[`MAX_CODE_DIGITS`].
    #[error("code digits must be from 6 to 10")]
    InvalidDigits,
    /// The random number generator failed.
    #[error("the random number generator failed")]
    Randomness,
    /// A token could not be laid out (a bug: field bounds make it impossible).
    #[error("token could not be encoded")]
    Encoding,
}

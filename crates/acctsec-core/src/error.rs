//! Errors: [`Error`] for values that fail to parse, [`StoreError`] for storage back ends.

use std::error::Error as StdError;
use std::fmt;

/// Boxed error kept as the `source()` of a [`StoreError`] or [`crate::MailError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A value from outside did not parse. The message names what and why, never the input itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The value is malformed or out of its bounds.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being parsed, such as `"email address"`.
        what: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
}

impl Error {
    pub(crate) const fn invalid(what: &'static str, reason: &'static str) -> Self {
        Self::Invalid { what, reason }
    }
}

/// What went wrong in a store, so callers can decide without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A write lost a race or met an existing record: a stale compare-and-swap, a duplicate key,
    /// a lease no longer held. Retrying the same write will not succeed.
    Conflict,
    /// The back end could not be reached or timed out; retrying later may succeed.
    Unavailable,
    /// Stored data could not be decoded or breaks an invariant.
    Corrupt,
    /// Anything else.
    Other,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Corrupt => "corrupt",
            Self::Other => "other",
        })
    }
}

/// The one error type of every store trait.
///
/// Adapters keep the driver's error as [`source()`](StdError::source) instead of flattening it
/// into a string. "Not found" is never a `StoreError`: lookups return `Ok(None)`.
///
/// ```
/// use acctsec_core::{StoreError, StoreErrorKind};
///
/// let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out");
/// let err = StoreError::unavailable("database did not answer", io);
/// assert!(err.is_transient());
/// assert_eq!(err.kind(), StoreErrorKind::Unavailable);
/// assert!(std::error::Error::source(&err).is_some());
/// assert_eq!(err.to_string(), "store unavailable: database did not answer");
/// ```
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: &'static str,
    source: Option<BoxError>,
}

impl StoreError {
    /// An error of `kind` with a fixed message and no underlying cause.
    #[must_use]
    pub const fn new(kind: StoreErrorKind, message: &'static str) -> Self {
        Self {
            kind,
            message,
            source: None,
        }
    }

    /// Keeps the driver's error as the [`source()`](StdError::source).
    ///
    /// Adapters must not keep an error whose text holds a secret or a token digest (a database's
    /// unique-violation detail can quote the key): map such errors to a conflict without source.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// A [`StoreErrorKind::Conflict`].
    #[must_use]
    pub const fn conflict(message: &'static str) -> Self {
        Self::new(StoreErrorKind::Conflict, message)
    }

    /// A [`StoreErrorKind::Unavailable`] caused by `source`.
    #[must_use]
    pub fn unavailable(message: &'static str, source: impl Into<BoxError>) -> Self {
        Self::new(StoreErrorKind::Unavailable, message).with_source(source)
    }

    /// A [`StoreErrorKind::Corrupt`] caused by `source`.
    #[must_use]
    pub fn corrupt(message: &'static str, source: impl Into<BoxError>) -> Self {
        Self::new(StoreErrorKind::Corrupt, message).with_source(source)
    }

    /// A [`StoreErrorKind::Other`] caused by `source`.
    #[must_use]
    pub fn other(message: &'static str, source: impl Into<BoxError>) -> Self {
        Self::new(StoreErrorKind::Other, message).with_source(source)
    }

    /// What went wrong.
    #[must_use]
    pub const fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether retrying later may succeed.
    #[must_use]
    pub const fn is_transient(&self) -> bool {
        matches!(self.kind, StoreErrorKind::Unavailable)
    }

    /// Whether a write lost a race or met an existing record.
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self.kind, StoreErrorKind::Conflict)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store {}: {}", self.kind, self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_kind() {
        assert!(StoreError::conflict("x").is_conflict());
        assert!(!StoreError::conflict("x").is_transient());
        let e = StoreError::corrupt("bad row", Error::invalid("email address", "empty"));
        assert_eq!(e.kind(), StoreErrorKind::Corrupt);
        assert!(!e.is_transient() && !e.is_conflict());
        assert_eq!(
            StdError::source(&e).map(ToString::to_string).as_deref(),
            Some("invalid email address: empty")
        );
    }
}

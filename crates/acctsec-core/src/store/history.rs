use std::future::Future;

use crate::error::StoreError;
use crate::ids::UserId;
use crate::store::StoredPasswordHash;
use crate::time::Timestamp;

/// The most past password hashes kept per user; larger `keep` values are clamped to it.
pub const MAX_PASSWORD_HISTORY: usize = 24;

/// Clamps a requested history length to `1..=`[`MAX_PASSWORD_HISTORY`], as every
/// [`PasswordHistory`] must.
#[must_use]
pub fn password_history_limit(keep: usize) -> usize {
    keep.clamp(1, MAX_PASSWORD_HISTORY)
}

/// The hashes of a user's recent passwords, so a new password can be refused when it is one of
/// the last few ("not one of your last N"). Only hashes are kept — the same argon2id strings the
/// account held — and only as many as asked for.
///
/// Contract:
/// - [`push`](Self::push) adds a hash as the user's newest and, in the same atomic step, drops
///   all but the newest `keep` (clamped to `1..=`[`MAX_PASSWORD_HISTORY`]); order is the order
///   of pushes, whatever `now` says;
/// - [`recent`](Self::recent) returns at most `limit` (clamped likewise) hashes, newest first;
///   a user with no history gets an empty list, and users never see each other's hashes;
/// - [`forget`](Self::forget) removes a user's whole history and returns how many hashes it held.
pub trait PasswordHistory: Send + Sync {
    /// Adds `hash` as the newest and keeps the newest `keep`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn push(
        &self,
        user: &UserId,
        hash: &StoredPasswordHash,
        keep: usize,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest `limit` hashes, newest first.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn recent(
        &self,
        user: &UserId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredPasswordHash>, StoreError>> + Send;

    /// Removes the user's history.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn forget(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

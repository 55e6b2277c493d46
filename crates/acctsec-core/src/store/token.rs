use std::future::Future;

use crate::error::StoreError;
use crate::ids::{Purpose, UserId};
use crate::time::Timestamp;

digest_type!(
    /// What a store keeps instead of a one-time token or code: a 32-byte digest of it. A leaked
    /// database then holds no usable link.
    ///
    /// Digests must be unique per token, not per secret: a short code is digested with a key
    /// over its purpose, user and value, so two users' equal codes never collide.
    /// Equality is constant-time, and `Debug` prints none of the bytes.
    ///
    /// ```
    /// use acctsec_core::TokenDigest;
    ///
    /// let d = TokenDigest::from_bytes([7; 32]);
    /// assert_eq!(format!("{d:?}"), "TokenDigest(..)");
    /// ```
    TokenDigest
);

digest_type!(
    /// A digest of the account state a token was issued under — for example its credential
    /// version and normalised email. The flows recompute it when the token comes back and refuse
    /// the token if it differs, so a token dies when the password or email changes, even when
    /// the host changed them without acctsec.
    BindingDigest
);

/// A one-time token or code on record: whose it is, what it is for and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRecord {
    /// The digest of the token; the record's key.
    pub digest: TokenDigest,
    /// Whose token.
    pub user: UserId,
    /// What it is for.
    pub purpose: Purpose,
    /// The account state it was issued under.
    pub binding: BindingDigest,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The first instant at which it is no longer valid.
    pub expires_at: Timestamp,
}

impl TokenRecord {
    /// A record.
    #[must_use]
    pub fn new(
        digest: TokenDigest,
        user: UserId,
        purpose: Purpose,
        binding: BindingDigest,
        issued_at: Timestamp,
        expires_at: Timestamp,
    ) -> Self {
        Self {
            digest,
            user,
            purpose,
            binding,
            issued_at,
            expires_at,
        }
    }

    /// Whether the record is still valid at `now` (`now < expires_at`).
    #[must_use]
    pub fn is_live_at(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

/// One-time token records: single use, expiring, revocable.
///
/// Contract:
/// - [`insert`](Self::insert) of a digest already on record is a conflict; `now` is the time
///   of issue, so a back end with its own expiry can set a relative time to live
///   (`expires_at - now`);
/// - [`take`](Self::take) removes and returns the record atomically: however many callers race
///   for one digest, exactly one gets it. A record is live while `now < expires_at`; taking an
///   expired record returns `Ok(None)` (and may remove it);
/// - [`peek`](Self::peek) returns the live record without consuming it, for rendering a form
///   before the link is used; a revoked, taken or expired record is `Ok(None)`;
/// - [`revoke_all`](Self::revoke_all) removes every record of one user and purpose, and no other;
///   [`revoke_user`](Self::revoke_user) removes every record of one user, whatever the purpose;
/// - [`purge_expired`](Self::purge_expired) removes at most `limit` records with
///   `expires_at <= now` and returns how many; a back end that expires records itself may
///   return 0.
pub trait TokenStore: Send + Sync {
    /// Records a newly issued token.
    ///
    /// # Errors
    ///
    /// A conflict if the digest is already on record; another [`StoreError`] if the store failed.
    fn insert(
        &self,
        record: &TokenRecord,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes and returns the live record with this digest.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn take(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<TokenRecord>, StoreError>> + Send;

    /// The live record with this digest, left in place.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn peek(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<TokenRecord>, StoreError>> + Send;

    /// Removes every record of `user` for `purpose`; returns how many were removed.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn revoke_all(
        &self,
        user: &UserId,
        purpose: &Purpose,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Removes every record of `user`, whatever its purpose; returns how many were removed.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn revoke_user(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Removes at most `limit` records that expired at or before `now`; returns how many were
    /// removed.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn purge_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

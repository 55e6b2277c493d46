use std::future::Future;
use std::time::Duration;

use crate::error::StoreError;
use crate::ids::ThrottleKey;
use crate::time::Timestamp;

/// The most distinct members one distinct-count window remembers; the count stops there.
pub const MAX_DISTINCT_MEMBERS: usize = 1024;

/// The state of one throttle counter: hits counted in the current fixed window, when that window
/// ends, and when the last hit came (for backoff).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottleCounter {
    /// Hits in the current window, including the one just recorded.
    pub count: u64,
    /// The first instant of the next window.
    pub resets_at: Timestamp,
    /// The `now` of the latest hit counted in this window.
    pub last_hit: Timestamp,
}

impl ThrottleCounter {
    /// A counter.
    #[must_use]
    pub const fn new(count: u64, resets_at: Timestamp, last_hit: Timestamp) -> Self {
        Self {
            count,
            resets_at,
            last_hit,
        }
    }

    /// Whether a hit that brought the counter here is within `limit` hits per window.
    #[must_use]
    pub fn decide(&self, limit: u64, now: Timestamp) -> ThrottleDecision {
        if self.count <= limit {
            ThrottleDecision::Allowed {
                remaining: limit - self.count,
            }
        } else {
            ThrottleDecision::Limited {
                retry_after: self.resets_at.duration_since(now).unwrap_or_default(),
            }
        }
    }
}

/// Whether a throttled action may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Within the limit; `remaining` more hits fit in this window.
    Allowed {
        /// Hits left in the window.
        remaining: u64,
    },
    /// Over the limit; try again after `retry_after`.
    Limited {
        /// How long until the window resets.
        retry_after: Duration,
    },
}

impl ThrottleDecision {
    /// Whether the action may go ahead.
    #[must_use]
    pub const fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

digest_type!(
    /// A member of a distinct count: a 32-byte digest the caller makes of what it counts (an
    /// account's id, a keyed digest of a wrong password), so the store never holds the value.
    MemberDigest
);

/// The state of one distinct count: how many different members were hit in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DistinctCounter {
    /// Different members seen in the window, at most [`MAX_DISTINCT_MEMBERS`].
    pub distinct: u64,
    /// Whether the hit just recorded brought a member not seen before in this window (`false`
    /// from [`ThrottleStore::distinct`], which records nothing).
    pub new_member: bool,
    /// The first instant of the next window.
    pub resets_at: Timestamp,
}

impl DistinctCounter {
    /// A distinct counter.
    #[must_use]
    pub const fn new(distinct: u64, new_member: bool, resets_at: Timestamp) -> Self {
        Self {
            distinct,
            new_member,
            resets_at,
        }
    }
}

/// Exact fixed-window counters, and bounded distinct counts, for throttling and lockout.
///
/// A window opens with the first hit on a key, at the caller's `now`, and ends at
/// `resets_at = now + window`; the `window` of that first hit holds for the whole window, whatever
/// later hits pass. A hit with `now >= resets_at` opens a new window with a count of one; a hit
/// with `now` before the window opened (clock skew between servers) counts in the current window.
/// Expiry is judged only against the `now` passed in: a back end's own expiry (a Redis TTL, a
/// cleanup job) is garbage collection that may only remove counters whose window has ended.
///
/// Callers build keys without regard to whether an account exists, so throttling answers the same
/// for known and unknown accounts. A lockout ceiling on consecutive failures is a long window that
/// a successful sign-in [clears](Self::clear).
///
/// Contract:
/// - [`hit`](Self::hit) is an atomic increment: concurrent hits on one key are all counted, each
///   caller sees a distinct count; `last_hit` is the latest `now` a hit in the window passed
///   (the later of the two, whatever order they arrive in);
/// - [`get`](Self::get) of a key with no live window (never hit, cleared, or `now >= resets_at`)
///   is `Ok(None)`;
/// - [`hit_distinct`](Self::hit_distinct) adds a member to the key's set for the window (same
///   window rules) and returns how many different members it holds: a member hit again is
///   counted once; concurrent hits of different members are all counted; the set stops growing
///   at [`MAX_DISTINCT_MEMBERS`] (the count then stays there). [`distinct`](Self::distinct)
///   reads it without recording. Distinct sets and counters are separate: one key may have both;
/// - keys are independent; [`clear`](Self::clear) forgets one key's counter and distinct set;
/// - [`purge_expired`](Self::purge_expired) removes at most `limit` counters and sets whose
///   window ended at or before `now`, and returns how many (a back end that expires them itself
///   may return 0).
pub trait ThrottleStore: Send + Sync {
    /// Records one hit on `key` and returns the counter after it.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn hit(
        &self,
        key: &ThrottleKey,
        window: Duration,
        now: Timestamp,
    ) -> impl Future<Output = Result<ThrottleCounter, StoreError>> + Send;

    /// The counter of `key` if its window is live at `now`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn get(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<ThrottleCounter>, StoreError>> + Send;

    /// Records `member` in `key`'s distinct set and returns the count after it.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn hit_distinct(
        &self,
        key: &ThrottleKey,
        member: &MemberDigest,
        window: Duration,
        now: Timestamp,
    ) -> impl Future<Output = Result<DistinctCounter, StoreError>> + Send;

    /// The distinct count of `key` if its window is live at `now`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn distinct(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<DistinctCounter>, StoreError>> + Send;

    /// Forgets `key` (for example after a successful sign-in).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn clear(&self, key: &ThrottleKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes at most `limit` counters and distinct sets whose window ended at or before `now`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn purge_expired(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records one hit — it always counts, whatever the decision — and decides it against
    /// `limit` hits per `window`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn record_and_decide(
        &self,
        key: &ThrottleKey,
        limit: u64,
        window: Duration,
        now: Timestamp,
    ) -> impl Future<Output = Result<ThrottleDecision, StoreError>> + Send {
        async move { Ok(self.hit(key, window, now).await?.decide(limit, now)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_and_token_digests_print_no_byte() {
        let member = MemberDigest::from_bytes([0xAB; 32]);
        assert_eq!(format!("{member:?}"), "MemberDigest(..)");
        let token = crate::TokenDigest::from_bytes([0xDE; 32]);
        assert_eq!(format!("{token:?}"), "TokenDigest(..)");
    }

    #[test]
    fn decide_counts_the_limit_inclusively() {
        let now = Timestamp::from_unix_secs(100);
        let resets = Timestamp::from_unix_secs(160);
        assert_eq!(
            ThrottleCounter::new(3, resets, now).decide(3, now),
            ThrottleDecision::Allowed { remaining: 0 }
        );
        assert_eq!(
            ThrottleCounter::new(4, resets, now).decide(3, now),
            ThrottleDecision::Limited {
                retry_after: Duration::from_secs(60)
            }
        );
    }
}

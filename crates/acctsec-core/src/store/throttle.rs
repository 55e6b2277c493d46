use std::future::Future;
use std::time::Duration;

use crate::error::StoreError;
use crate::ids::ThrottleKey;
use crate::time::Timestamp;

/// The state of one throttle counter: hits counted in the current fixed window, and when that
/// window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThrottleCounter {
    /// Hits in the current window, including the one just recorded.
    pub count: u64,
    /// The first instant of the next window.
    pub resets_at: Timestamp,
}

impl ThrottleCounter {
    /// A counter.
    #[must_use]
    pub const fn new(count: u64, resets_at: Timestamp) -> Self {
        Self { count, resets_at }
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

/// Exact fixed-window counters for throttling and lockout.
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
///   caller sees a distinct count;
/// - [`get`](Self::get) of a key with no live window (never hit, cleared, or `now >= resets_at`)
///   is `Ok(None)`;
/// - keys are independent; [`clear`](Self::clear) forgets one key.
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

    /// Forgets `key` (for example after a successful sign-in).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn clear(&self, key: &ThrottleKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records one hit and decides it against `limit` hits per `window`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn check(
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
    fn decide_counts_the_limit_inclusively() {
        let now = Timestamp::from_unix_secs(100);
        let resets = Timestamp::from_unix_secs(160);
        assert_eq!(
            ThrottleCounter::new(3, resets).decide(3, now),
            ThrottleDecision::Allowed { remaining: 0 }
        );
        assert_eq!(
            ThrottleCounter::new(4, resets).decide(3, now),
            ThrottleDecision::Limited {
                retry_after: Duration::from_secs(60)
            }
        );
    }
}

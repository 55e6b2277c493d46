use std::future::Future;

use crate::error::StoreError;
use crate::event::SecurityEvent;
use crate::ids::UserId;
use crate::time::Timestamp;

/// The most events one [`ActivityLog::page`] returns; larger limits are clamped to it.
pub const MAX_ACTIVITY_PAGE: usize = 100;

/// The identifier a store gives an appended event; unique within the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub u64);

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedEvent {
    /// Its identifier.
    pub id: EventId,
    /// The event.
    pub event: SecurityEvent,
}

impl RecordedEvent {
    /// A recorded event.
    #[must_use]
    pub const fn new(id: EventId, event: SecurityEvent) -> Self {
        Self { id, event }
    }

    /// The position of this event in newest-first order, to continue paging after it.
    #[must_use]
    pub const fn cursor(&self) -> ActivityCursor {
        ActivityCursor {
            at: self.event.at,
            id: self.id,
        }
    }
}

/// A position in an account's newest-first activity: events are ordered by `(at, id)`,
/// descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActivityCursor {
    /// The time of the last event seen.
    pub at: Timestamp,
    /// The id of the last event seen.
    pub id: EventId,
}

/// One page of an account's activity, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActivityPage {
    /// The events, ordered by `(at, id)` descending.
    pub events: Vec<RecordedEvent>,
    /// Where the next page starts, or `None` when this page was not full (nothing older left).
    pub next: Option<ActivityCursor>,
}

impl ActivityPage {
    /// Builds a page from events already sorted newest first and cut to the requested `limit`
    /// (clamped as [`activity_page_limit`] does): `next` is set when the page is full.
    #[must_use]
    pub fn new(events: Vec<RecordedEvent>, limit: usize) -> Self {
        let next = if events.len() >= activity_page_limit(limit) {
            events.last().map(RecordedEvent::cursor)
        } else {
            None
        };
        Self { events, next }
    }
}

/// The activity log an account owner reads: append-only, paged newest first.
///
/// Contract:
/// - [`append`](Self::append) stores the event as given and returns a fresh [`EventId`];
/// - [`page`](Self::page) returns the user's events ordered by `(at, id)` descending, starting
///   strictly after `after` when given, at most `limit` of them (clamped to
///   `1..=`[`MAX_ACTIVITY_PAGE`]); following `next` visits every event present when paging
///   began exactly once (an event appended later with an older `at` may or may not be seen);
/// - a user with no events gets an empty page, and users never see each other's events;
/// - [`purge_before`](Self::purge_before) removes at most `limit` events (of any user) with
///   `at < before`, oldest first, and returns how many; [`forget_user`](Self::forget_user)
///   removes at most `limit` of one user's events and returns how many (call again until 0).
pub trait ActivityLog: Send + Sync {
    /// Appends an event.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn append(
        &self,
        event: &SecurityEvent,
    ) -> impl Future<Output = Result<EventId, StoreError>> + Send;

    /// One page of `user`'s events, newest first.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn page(
        &self,
        user: &UserId,
        after: Option<ActivityCursor>,
        limit: usize,
    ) -> impl Future<Output = Result<ActivityPage, StoreError>> + Send;

    /// Removes at most `limit` events older than `before`, oldest first (retention).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn purge_before(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Removes at most `limit` of `user`'s events (when an account is deleted).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn forget_user(
        &self,
        user: &UserId,
        limit: usize,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Clamps a requested page size to `1..=`[`MAX_ACTIVITY_PAGE`], as every [`ActivityLog`] must.
#[must_use]
pub fn activity_page_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_ACTIVITY_PAGE)
}

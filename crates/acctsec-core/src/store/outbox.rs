use std::future::Future;
use std::time::Duration;

use crate::error::StoreError;
use crate::ids::{Detail, IdempotencyKey};
use crate::mail::Message;
use crate::time::Timestamp;

/// The most messages one [`Outbox::claim`] returns; larger limits are clamped to it.
pub const MAX_OUTBOX_CLAIM: usize = 100;

/// The identifier a store gives an enqueued message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutboxId(pub u64);

/// What [`Outbox::enqueue`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// The message was stored.
    New(OutboxId),
    /// A message with this idempotency key was already stored; nothing changed.
    Duplicate(OutboxId),
}

impl Enqueued {
    /// The id of the stored message.
    #[must_use]
    pub const fn id(self) -> OutboxId {
        match self {
            Self::New(id) | Self::Duplicate(id) => id,
        }
    }
}

/// A worker's hold on one claimed message. Only the current holder can complete, retry or
/// dead-letter the message; a lease that lapsed and was claimed again is no longer held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lease {
    /// The message.
    pub id: OutboxId,
    /// Which delivery attempt this is, from 1; it identifies the lease.
    pub attempt: u32,
    /// When the lease lapses and the message becomes claimable again.
    pub until: Timestamp,
}

impl Lease {
    /// A lease.
    #[must_use]
    pub const fn new(id: OutboxId, attempt: u32, until: Timestamp) -> Self {
        Self { id, attempt, until }
    }
}

/// A message handed to a worker by [`Outbox::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClaimedMessage {
    /// The worker's lease.
    pub lease: Lease,
    /// The message's idempotency key.
    pub key: IdempotencyKey,
    /// The message.
    pub message: Message,
}

impl ClaimedMessage {
    /// A claimed message.
    #[must_use]
    pub const fn new(lease: Lease, key: IdempotencyKey, message: Message) -> Self {
        Self {
            lease,
            key,
            message,
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutboxState {
    /// Waiting to be claimed at or after `due`.
    Pending {
        /// When it may be claimed.
        due: Timestamp,
    },
    /// Claimed by a worker until `until`.
    Leased {
        /// When the lease lapses.
        until: Timestamp,
    },
    /// Delivered; never claimed again.
    Delivered {
        /// When delivery was recorded.
        at: Timestamp,
    },
    /// Given up on; never claimed again.
    DeadLettered {
        /// When it was given up on.
        at: Timestamp,
        /// Why.
        reason: Detail,
    },
}

/// A message as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxEntry {
    /// Its id.
    pub id: OutboxId,
    /// Its idempotency key.
    pub key: IdempotencyKey,
    /// The message.
    pub message: Message,
    /// How many times it was claimed.
    pub attempts: u32,
    /// Where it is in its life.
    pub state: OutboxState,
    /// The error of the last failed attempt.
    pub last_error: Option<Detail>,
}

impl OutboxEntry {
    /// An entry.
    #[must_use]
    pub const fn new(
        id: OutboxId,
        key: IdempotencyKey,
        message: Message,
        attempts: u32,
        state: OutboxState,
        last_error: Option<Detail>,
    ) -> Self {
        Self {
            id,
            key,
            message,
            attempts,
            state,
            last_error,
        }
    }
}

/// A durable mail outbox that loses nothing: every message is delivered, retried or
/// dead-lettered, and a worker that crashes between claim and completion only delays it.
/// Delivery is at least once: a worker that sent a message and crashed before completing it
/// sends it again after the lease lapses.
///
/// Contract:
/// - [`enqueue`](Self::enqueue) stores a message, pending and due at `now`, with attempt count 0;
///   enqueueing again with the same idempotency key, for as long as the first message is stored,
///   stores nothing and returns the first message's id;
/// - [`claim`](Self::claim) leases up to `limit` (clamped to `1..=`[`MAX_OUTBOX_CLAIM`]) messages
///   that are pending with `due <= now`, or leased with `until <= now`, ordered by that instant and
///   then by id; each claimed message becomes leased until `now + lease_for` and its attempt count
///   goes up by one. Concurrent claims never return the same message twice while its lease holds;
/// - [`complete`](Self::complete), [`retry`](Self::retry) and
///   [`dead_letter`](Self::dead_letter) succeed only while the message is leased under the
///   lease's attempt number (even after the lease lapsed, as long as no one claimed the message
///   since); otherwise they are a conflict and change nothing;
/// - a delivered or dead-lettered message is never claimed again;
/// - [`get`](Self::get) of an unknown id is `Ok(None)`.
pub trait Outbox: Send + Sync {
    /// Stores a message, due now, unless one with `key` exists.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn enqueue(
        &self,
        key: &IdempotencyKey,
        message: &Message,
        now: Timestamp,
    ) -> impl Future<Output = Result<Enqueued, StoreError>> + Send;

    /// Leases due messages for `lease_for`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn claim(
        &self,
        now: Timestamp,
        lease_for: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ClaimedMessage>, StoreError>> + Send;

    /// Records delivery.
    ///
    /// # Errors
    ///
    /// A conflict if the lease is no longer held; another [`StoreError`] if the store failed.
    fn complete(
        &self,
        lease: &Lease,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Makes the message pending again, due at `at`, recording the error.
    ///
    /// # Errors
    ///
    /// A conflict if the lease is no longer held; another [`StoreError`] if the store failed.
    fn retry(
        &self,
        lease: &Lease,
        at: Timestamp,
        error: &Detail,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives up on the message.
    ///
    /// # Errors
    ///
    /// A conflict if the lease is no longer held; another [`StoreError`] if the store failed.
    fn dead_letter(
        &self,
        lease: &Lease,
        reason: &Detail,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The message with this id.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn get(
        &self,
        id: OutboxId,
    ) -> impl Future<Output = Result<Option<OutboxEntry>, StoreError>> + Send;
}

/// Clamps a requested claim size to `1..=`[`MAX_OUTBOX_CLAIM`], as every [`Outbox`] must.
#[must_use]
pub fn outbox_claim_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_OUTBOX_CLAIM)
}

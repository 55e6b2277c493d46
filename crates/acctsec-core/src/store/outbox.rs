use std::future::Future;
use std::time::Duration;

use crate::email::Email;
use crate::error::StoreError;
use crate::ids::{CorrelationId, Detail, IdempotencyKey, UserId};
use crate::mail::{MessageKind, SealedContent};
use crate::time::Timestamp;

/// The most messages one [`Outbox::claim`] returns; larger limits are clamped to it.
pub const MAX_OUTBOX_CLAIM: usize = 100;

/// The most entries one listing ([`Outbox::for_user`], [`Outbox::dead_letters`]) returns;
/// larger limits are clamped to it.
pub const MAX_OUTBOX_PAGE: usize = 100;

/// The identifier a store gives an enqueued message: increasing in the order of enqueueing.
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

/// A message as the flows hand it to the outbox: who and what it concerns in the clear, for the
/// worker and for support, and the rendered subject and bodies [sealed](SealedContent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxMessage {
    /// Makes enqueueing idempotent, and gives the mailer one stable `Message-ID` for all retries.
    pub key: IdempotencyKey,
    /// The account it concerns, if any (support lists a user's messages by it).
    pub user: Option<UserId>,
    /// The request it belongs to, shared with that request's events.
    pub correlation: Option<CorrelationId>,
    /// Why it is sent.
    pub kind: MessageKind,
    /// The recipient.
    pub to: Email,
    /// The sealed subject and bodies.
    pub content: SealedContent,
}

impl OutboxMessage {
    /// A message about no particular account and request.
    #[must_use]
    pub const fn new(
        key: IdempotencyKey,
        kind: MessageKind,
        to: Email,
        content: SealedContent,
    ) -> Self {
        Self {
            key,
            user: None,
            correlation: None,
            kind,
            to,
            content,
        }
    }

    /// Names the account it concerns.
    #[must_use]
    pub fn with_user(mut self, user: UserId) -> Self {
        self.user = Some(user);
        self
    }

    /// Ties it to a request.
    #[must_use]
    pub fn with_correlation(mut self, correlation: CorrelationId) -> Self {
        self.correlation = Some(correlation);
        self
    }
}

/// A worker's hold on one claimed message. Only the current holder can extend it, or mark the
/// message sent, retried or dead-lettered; a lease that lapsed and was claimed again is no
/// longer held.
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
    /// The message.
    pub message: OutboxMessage,
}

impl ClaimedMessage {
    /// A claimed message.
    #[must_use]
    pub const fn new(lease: Lease, message: OutboxMessage) -> Self {
        Self { lease, message }
    }
}

/// A later word from the mail system about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryReport {
    /// The receiving server took it.
    Delivered,
    /// It bounced, for this reason.
    Bounced(Detail),
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
    /// The mail server accepted it; never claimed again.
    Sent {
        /// When acceptance was recorded.
        at: Timestamp,
    },
    /// A delivery report said it arrived.
    Delivered {
        /// When the report was recorded.
        at: Timestamp,
    },
    /// A delivery report said it bounced.
    Bounced {
        /// When the report was recorded.
        at: Timestamp,
        /// Why, as the report said.
        reason: Detail,
    },
    /// Given up on; never claimed again unless [requeued](Outbox::requeue).
    DeadLettered {
        /// When it was given up on.
        at: Timestamp,
        /// Why.
        reason: Detail,
    },
}

impl OutboxState {
    /// When the message reached a final state (sent, delivered, bounced or dead-lettered), or
    /// `None` while it may still be claimed.
    #[must_use]
    pub const fn finished_at(&self) -> Option<Timestamp> {
        match self {
            Self::Pending { .. } | Self::Leased { .. } => None,
            Self::Sent { at }
            | Self::Delivered { at }
            | Self::Bounced { at, .. }
            | Self::DeadLettered { at, .. } => Some(*at),
        }
    }

    /// The stable code stores persist: `pending`, `leased`, `sent`, `delivered`, `bounced` or
    /// `dead_lettered`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Pending { .. } => "pending",
            Self::Leased { .. } => "leased",
            Self::Sent { .. } => "sent",
            Self::Delivered { .. } => "delivered",
            Self::Bounced { .. } => "bounced",
            Self::DeadLettered { .. } => "dead_lettered",
        }
    }
}

/// A message as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboxEntry {
    /// Its id.
    pub id: OutboxId,
    /// The message.
    pub message: OutboxMessage,
    /// When it was enqueued.
    pub enqueued_at: Timestamp,
    /// How many times it was claimed.
    pub attempts: u32,
    /// Where it is in its life.
    pub state: OutboxState,
    /// The error of the last failed attempt.
    pub last_error: Option<Detail>,
    /// The mailer's receipt once the mail server accepted it.
    pub receipt: Option<Detail>,
}

impl OutboxEntry {
    /// A freshly enqueued entry: pending, due at `now`, with no attempts.
    #[must_use]
    pub const fn enqueued(id: OutboxId, message: OutboxMessage, now: Timestamp) -> Self {
        Self {
            id,
            message,
            enqueued_at: now,
            attempts: 0,
            state: OutboxState::Pending { due: now },
            last_error: None,
            receipt: None,
        }
    }
}

/// A durable mail outbox that loses nothing: every message is sent, retried or dead-lettered,
/// and a worker that crashes between claim and completion only delays it. Sending is at least
/// once: a worker that sent a message and crashed before marking it sent sends it again after the
/// lease lapses (with the same idempotency key, so the same `Message-ID`).
///
/// Contract:
/// - [`enqueue`](Self::enqueue) stores a message, pending and due at `now`, with attempt count
///   0; enqueueing again with the same idempotency key, for as long as the first message is
///   stored, stores nothing and returns the first message's id — also when many enqueue it at
///   once;
/// - [`claim`](Self::claim) leases up to `limit` (clamped to `1..=`[`MAX_OUTBOX_CLAIM`])
///   messages that are pending with `due <= now`, or leased with `until <= now`, ordered by that
///   instant and then by id; each claimed message becomes leased until `now + lease_for` and its
///   attempt count goes up by one. Concurrent claims never return the same message twice while
///   its lease holds;
/// - [`extend`](Self::extend), [`mark_sent`](Self::mark_sent), [`retry`](Self::retry) and
///   [`dead_letter`](Self::dead_letter) succeed only while the message is leased under the
///   lease's attempt number (even after the lease lapsed, as long as no one claimed the message
///   since); otherwise they are a conflict and change nothing. `extend` moves the lease's end to
///   `until` and returns the lease as it now stands;
/// - a sent, delivered, bounced or dead-lettered message is never claimed;
///   [`requeue`](Self::requeue) makes a dead-lettered message pending again, due at `now`,
///   keeping its attempt count (so its old leases stay stale); it is a conflict for a message in
///   any other state and `Ok(false)` for an unknown id;
/// - [`record_delivery`](Self::record_delivery) records a delivery report on a message that
///   was sent (or already has a report, which the new one replaces); it is a conflict for a
///   message not yet sent or dead-lettered, and `Ok(false)` for an unknown id;
/// - [`get`](Self::get) of an unknown id, and [`find_by_key`](Self::find_by_key) of a key not
///   stored, are `Ok(None)`; [`for_user`](Self::for_user) lists the
///   messages concerning one user, newest first by `(enqueued_at, id)`;
///   [`dead_letters`](Self::dead_letters) lists dead-lettered messages by id, after `after`;
///   both return at most `limit` (clamped to `1..=`[`MAX_OUTBOX_PAGE`]);
/// - [`purge_finished`](Self::purge_finished) removes at most `limit` messages whose final
///   state was reached before `before` ([`OutboxState::finished_at`]), oldest first, and frees
///   their idempotency keys; pending and leased messages are never purged.
pub trait Outbox: Send + Sync {
    /// Stores a message, due now, unless one with its key exists.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn enqueue(
        &self,
        message: &OutboxMessage,
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

    /// Keeps holding a message while a slow send runs: the lease now lapses at `until`.
    ///
    /// # Errors
    ///
    /// A conflict if the lease is no longer held; another [`StoreError`] if the store failed.
    fn extend(
        &self,
        lease: &Lease,
        until: Timestamp,
    ) -> impl Future<Output = Result<Lease, StoreError>> + Send;

    /// Records that the mail server accepted the message, with the mailer's receipt.
    ///
    /// # Errors
    ///
    /// A conflict if the lease is no longer held; another [`StoreError`] if the store failed.
    fn mark_sent(
        &self,
        lease: &Lease,
        receipt: &Detail,
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

    /// Makes a dead-lettered message pending again, due at `now`; `false` if there is no such
    /// message.
    ///
    /// # Errors
    ///
    /// A conflict if the message is not dead-lettered; another [`StoreError`] if the store
    /// failed.
    fn requeue(
        &self,
        id: OutboxId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records what the mail system later said about a sent message; `false` if there is no such
    /// message.
    ///
    /// # Errors
    ///
    /// A conflict if the message was never sent; another [`StoreError`] if the store failed.
    fn record_delivery(
        &self,
        id: OutboxId,
        report: &DeliveryReport,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The message with this id.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn get(
        &self,
        id: OutboxId,
    ) -> impl Future<Output = Result<Option<OutboxEntry>, StoreError>> + Send;

    /// The message stored under this idempotency key (a delivery report names the `Message-ID`,
    /// which the mailer derives from the key).
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn find_by_key(
        &self,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Option<OutboxEntry>, StoreError>> + Send;

    /// The newest `limit` messages concerning `user`, newest first.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn for_user(
        &self,
        user: &UserId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;

    /// Dead-lettered messages with ids after `after`, in id order.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn dead_letters(
        &self,
        after: Option<OutboxId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxEntry>, StoreError>> + Send;

    /// Removes at most `limit` messages that finished before `before`.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed.
    fn purge_finished(
        &self,
        before: Timestamp,
        limit: usize,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// Clamps a requested claim size to `1..=`[`MAX_OUTBOX_CLAIM`], as every [`Outbox`] must.
#[must_use]
pub fn outbox_claim_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_OUTBOX_CLAIM)
}

/// Clamps a requested listing size to `1..=`[`MAX_OUTBOX_PAGE`], as every [`Outbox`] must.
#[must_use]
pub fn outbox_page_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_OUTBOX_PAGE)
}

//! The plug points for state: the host's [`AccountStore`], and what acctsec itself must remember,
//! split by capability — [`TokenStore`], [`ThrottleStore`], [`ActivityLog`], [`ProfileStore`],
//! [`Outbox`] and [`PasswordHistory`] — with [`SecurityState`] naming all of acctsec's own at once.
//!
//! Contracts shared by every store (checked by `acctsec-testkit`'s conformance suites):
//!
//! - Not found is `Ok(None)`, never an error.
//! - Time-dependent operations take `now` as an argument; a store never reads its own clock.
//! - Compare-and-swap writes fail with [`StoreErrorKind::Conflict`](crate::StoreErrorKind::Conflict),
//!   never silently overwrite.
//! - Errors keep the driver's error as `source()`.
//! - Every purge takes a batch limit (clamped to `1..=`[`MAX_PURGE_BATCH`]), so no retention job
//!   is one unbounded statement; call it again until it returns 0.
//!
//! Methods return `impl Future<Output = …> + Send`, so implementations may be written with
//! `async fn` and flows can run them on any multi-threaded executor. Every trait is also
//! implemented for `&T`, `Arc<T>` and `Box<T>`.

mod account;
mod activity;
mod history;
mod methods;
mod outbox;
mod profile;
mod throttle;
mod token;

pub use account::{
    Account, AccountStore, MAX_PASSWORD_HASH_BYTES, PasswordReplaced, StoredPasswordHash,
};
pub use activity::{
    ActivityCursor, ActivityLog, ActivityPage, EventId, MAX_ACTIVITY_PAGE, RecordedEvent,
    activity_page_limit,
};
pub use history::{MAX_PASSWORD_HISTORY, PasswordHistory, password_history_limit};
pub use outbox::{
    ClaimedMessage, DeliveryReport, Enqueued, Lease, MAX_OUTBOX_CLAIM, MAX_OUTBOX_PAGE, Outbox,
    OutboxEntry, OutboxId, OutboxMessage, OutboxState, outbox_claim_limit, outbox_page_limit,
};
pub use profile::{MAX_PROFILE_BYTES, ProfileData, ProfileStore, VersionedProfile};
pub use throttle::{
    DistinctCounter, MAX_DISTINCT_MEMBERS, MemberDigest, ThrottleCounter, ThrottleDecision,
    ThrottleStore,
};
pub use token::{BindingDigest, TokenDigest, TokenRecord, TokenStore};

crate::__for_each_store_trait!(forward_impls);

/// The most records one purge call removes; larger limits are clamped to it.
pub const MAX_PURGE_BATCH: usize = 10_000;

/// Clamps a requested purge batch to `1..=`[`MAX_PURGE_BATCH`], as every store must.
#[must_use]
pub fn purge_batch_limit(limit: usize) -> usize {
    limit.clamp(1, MAX_PURGE_BATCH)
}

/// All of acctsec's own state in one bound: what a flow takes besides the host's accounts and
/// mailer. Implemented for every type that implements each part, so an adapter never names it.
pub trait SecurityState:
    TokenStore + ThrottleStore + ActivityLog + ProfileStore + Outbox + PasswordHistory
{
}

impl<T> SecurityState for T where
    T: TokenStore + ThrottleStore + ActivityLog + ProfileStore + Outbox + PasswordHistory + ?Sized
{
}

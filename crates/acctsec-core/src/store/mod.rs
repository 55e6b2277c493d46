//! The plug points for state: the host's [`AccountStore`], and what acctsec itself must remember,
//! split by capability — [`TokenStore`], [`ThrottleStore`], [`ActivityLog`], [`ProfileStore`]
//! and [`Outbox`].
//!
//! Contracts shared by every store (checked by `acctsec-testkit`'s conformance suites):
//!
//! - Not found is `Ok(None)`, never an error.
//! - Time-dependent operations take `now` as an argument; a store never reads its own clock.
//! - Compare-and-swap writes fail with [`StoreErrorKind::Conflict`](crate::StoreErrorKind::Conflict),
//!   never silently overwrite.
//! - Errors keep the driver's error as `source()`.
//!
//! Methods return `impl Future<Output = …> + Send`, so implementations may be written with
//! `async fn` and flows can run them on any multi-threaded executor.

mod account;
mod activity;
mod outbox;
mod profile;
mod throttle;
mod token;

pub use account::{Account, AccountStore, MAX_PASSWORD_HASH_BYTES, StoredPasswordHash};
pub use activity::{
    ActivityCursor, ActivityLog, ActivityPage, EventId, MAX_ACTIVITY_PAGE, RecordedEvent,
    activity_page_limit,
};
pub use outbox::{
    ClaimedMessage, Enqueued, Lease, MAX_OUTBOX_CLAIM, Outbox, OutboxEntry, OutboxId, OutboxState,
    outbox_claim_limit,
};
pub use profile::{MAX_PROFILE_BYTES, ProfileData, ProfileStore, VersionedProfile};
pub use throttle::{ThrottleCounter, ThrottleDecision, ThrottleStore};
pub use token::{BindingDigest, TokenDigest, TokenRecord, TokenStore};

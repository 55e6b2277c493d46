#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[macro_use]
mod macros;

mod client;
mod email;
mod error;
mod event;
mod ids;
mod mail;
pub mod rng;
mod secret;
pub mod store;
mod time;

pub use client::{ClientInfo, DeviceDigest, MAX_USER_AGENT_BYTES, UserAgent};
pub use email::{
    Email, MAX_DOMAIN_LABEL_BYTES, MAX_EMAIL_BYTES, MAX_EMAIL_INPUT_BYTES, MAX_LOCAL_PART_BYTES,
};
pub use error::{BoxError, Error, Result, StoreError, StoreErrorKind};
pub use event::{Actor, SecurityEvent, SecurityEventKind};
pub use ids::{
    CorrelationId, Detail, DeviceId, IdempotencyKey, MAX_CORRELATION_ID_BYTES, MAX_DETAIL_BYTES,
    MAX_DEVICE_ID_BYTES, MAX_IDEMPOTENCY_KEY_BYTES, MAX_OPERATOR_ID_BYTES, MAX_PURPOSE_BYTES,
    MAX_THROTTLE_KEY_BYTES, MAX_USER_ID_BYTES, OperatorId, Purpose, ThrottleKey, UserId,
};
pub use mail::{
    MAX_BODY_BYTES, MAX_SEALED_BYTES, MAX_SUBJECT_BYTES, MailError, MailErrorKind, Mailer, Message,
    MessageKind, SealedContent,
};
pub use secret::{MAX_PASSWORD_BYTES, Password, ct_eq_32, feed_parts};
pub use store::{
    Account, AccountStore, ActivityCursor, ActivityLog, ActivityPage, BindingDigest,
    ClaimedMessage, DeliveryReport, DistinctCounter, Enqueued, EventId, Lease,
    MAX_PASSWORD_HASH_BYTES, MemberDigest, Outbox, OutboxEntry, OutboxId, OutboxMessage,
    OutboxState, PasswordHistory, PasswordReplaced, ProfileData, ProfileStore, RecordedEvent,
    SecurityState, StoredPasswordHash, ThrottleCounter, ThrottleDecision, ThrottleStore,
    TokenDigest, TokenRecord, TokenStore, VersionedProfile,
};
pub use time::{Clock, MAX_TIMESTAMP_TEXT_BYTES, SystemClock, Timestamp};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use acctsec_core::{
    Account, AccountStore, ActivityCursor, ActivityLog, ActivityPage, ClaimedMessage,
    DeliveryReport, Detail, DistinctCounter, Email, Enqueued, EventId, IdempotencyKey, Lease,
    MemberDigest, Outbox, OutboxEntry, OutboxId, OutboxMessage, PasswordHistory, PasswordReplaced,
    ProfileData, ProfileStore, Purpose, SecurityEvent, StoreError, StoredPasswordHash,
    ThrottleCounter, ThrottleDecision, ThrottleKey, ThrottleStore, Timestamp, TokenDigest,
    TokenRecord, TokenStore, UserId, VersionedProfile,
};

/// A store that notes the name of every operation called on it, then forwards it to the store
/// it wraps — to show that two paths of a flow do the same kind and number of store operations
/// (the reset request does, whether the address has an account or not). Clones share one list.
///
/// ```
/// use acctsec_core::{ThrottleKey, ThrottleStore, Timestamp};
/// use acctsec_testkit::{MemoryStore, Recorder};
/// use std::time::Duration;
///
/// # acctsec_testkit::block_on(async {
/// let store = Recorder::new(MemoryStore::new());
/// let key = ThrottleKey::new("k")?;
/// store.hit(&key, Duration::from_secs(60), Timestamp::from_unix_secs(0)).await?;
/// store.get(&key, Timestamp::from_unix_secs(1)).await?;
/// assert_eq!(store.take_ops(), ["throttle.hit", "throttle.get"]);
/// assert!(store.take_ops().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Recorder<S> {
    inner: S,
    ops: Arc<Mutex<Vec<&'static str>>>,
}

impl<S> Recorder<S> {
    /// Wraps `inner`, with an empty list.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            ops: Arc::default(),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn ops(&self) -> MutexGuard<'_, Vec<&'static str>> {
        self.ops.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The operations noted since the last call, in order, as `trait.method` names; the list
    /// starts again empty.
    pub fn take_ops(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.ops())
    }

    fn note(&self, op: &'static str) {
        self.ops().push(op);
    }
}

/// Implements a trait for `Recorder<S>`: each method notes `prefix.method`, then forwards.
macro_rules! recorded {
    ($trait:ident, $prefix:literal { $(fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $out:ty;)* }) => {
        impl<S: $trait> $trait for Recorder<S> {
            $(
                fn $name(&self $(, $arg: $ty)*) -> impl ::std::future::Future<Output = $out> + Send {
                    self.note(concat!($prefix, ".", stringify!($name)));
                    self.inner.$name($($arg),*)
                }
            )*
        }
    };
}

recorded!(AccountStore, "account" {
    fn find_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError>;
    fn find_by_id(&self, id: &UserId) -> Result<Option<Account>, StoreError>;
    fn replace_password_hash(&self, id: &UserId, expected_version: u64, hash: &StoredPasswordHash, end_sessions: bool) -> Result<Option<PasswordReplaced>, StoreError>;
    fn upgrade_password_hash(&self, id: &UserId, expected_version: u64, hash: &StoredPasswordHash) -> Result<Option<u64>, StoreError>;
    fn replace_email(&self, id: &UserId, expected_version: u64, email: &Email) -> Result<Option<u64>, StoreError>;
    fn end_sessions(&self, id: &UserId) -> Result<Option<u64>, StoreError>;
});

recorded!(TokenStore, "token" {
    fn insert(&self, record: &TokenRecord, now: Timestamp) -> Result<(), StoreError>;
    fn take(&self, digest: &TokenDigest, now: Timestamp) -> Result<Option<TokenRecord>, StoreError>;
    fn peek(&self, digest: &TokenDigest, now: Timestamp) -> Result<Option<TokenRecord>, StoreError>;
    fn revoke_all(&self, user: &UserId, purpose: &Purpose) -> Result<u64, StoreError>;
    fn revoke_user(&self, user: &UserId) -> Result<u64, StoreError>;
    fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError>;
});

recorded!(ThrottleStore, "throttle" {
    fn hit(&self, key: &ThrottleKey, window: Duration, now: Timestamp) -> Result<ThrottleCounter, StoreError>;
    fn get(&self, key: &ThrottleKey, now: Timestamp) -> Result<Option<ThrottleCounter>, StoreError>;
    fn hit_distinct(&self, key: &ThrottleKey, member: &MemberDigest, window: Duration, now: Timestamp) -> Result<DistinctCounter, StoreError>;
    fn distinct(&self, key: &ThrottleKey, now: Timestamp) -> Result<Option<DistinctCounter>, StoreError>;
    fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError>;
    fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError>;
    fn record_and_decide(&self, key: &ThrottleKey, limit: u64, window: Duration, now: Timestamp) -> Result<ThrottleDecision, StoreError>;
});

recorded!(ActivityLog, "activity" {
    fn append(&self, event: &SecurityEvent) -> Result<EventId, StoreError>;
    fn page(&self, user: &UserId, after: Option<ActivityCursor>, limit: usize) -> Result<ActivityPage, StoreError>;
    fn purge_before(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError>;
    fn forget_user(&self, user: &UserId, limit: usize) -> Result<u64, StoreError>;
});

recorded!(ProfileStore, "profile" {
    fn load(&self, user: &UserId) -> Result<Option<VersionedProfile>, StoreError>;
    fn save(&self, user: &UserId, expected_version: Option<u64>, data: &ProfileData) -> Result<u64, StoreError>;
    fn remove(&self, user: &UserId) -> Result<bool, StoreError>;
});

recorded!(Outbox, "outbox" {
    fn enqueue(&self, message: &OutboxMessage, now: Timestamp) -> Result<Enqueued, StoreError>;
    fn claim(&self, now: Timestamp, lease_for: Duration, limit: usize) -> Result<Vec<ClaimedMessage>, StoreError>;
    fn extend(&self, lease: &Lease, until: Timestamp) -> Result<Lease, StoreError>;
    fn mark_sent(&self, lease: &Lease, receipt: &Detail, now: Timestamp) -> Result<(), StoreError>;
    fn retry(&self, lease: &Lease, at: Timestamp, error: &Detail) -> Result<(), StoreError>;
    fn dead_letter(&self, lease: &Lease, reason: &Detail, now: Timestamp) -> Result<(), StoreError>;
    fn requeue(&self, id: OutboxId, now: Timestamp) -> Result<bool, StoreError>;
    fn record_delivery(&self, id: OutboxId, report: &DeliveryReport, now: Timestamp) -> Result<bool, StoreError>;
    fn get(&self, id: OutboxId) -> Result<Option<OutboxEntry>, StoreError>;
    fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<OutboxEntry>, StoreError>;
    fn for_user(&self, user: &UserId, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;
    fn dead_letters(&self, after: Option<OutboxId>, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;
    fn purge_finished(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError>;
});

recorded!(PasswordHistory, "history" {
    fn push(&self, user: &UserId, hash: &StoredPasswordHash, keep: usize, now: Timestamp) -> Result<(), StoreError>;
    fn recent(&self, user: &UserId, limit: usize) -> Result<Vec<StoredPasswordHash>, StoreError>;
    fn forget(&self, user: &UserId) -> Result<u64, StoreError>;
});

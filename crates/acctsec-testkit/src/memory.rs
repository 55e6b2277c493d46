use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use acctsec_core::store::{
    ActivityCursor, ActivityPage, ClaimedMessage, Enqueued, EventId, Lease, OutboxEntry, OutboxId,
    OutboxState, ProfileData, RecordedEvent, ThrottleCounter, VersionedProfile,
    activity_page_limit, outbox_claim_limit,
};
use acctsec_core::{
    Account, AccountStore, ActivityLog, Detail, Email, IdempotencyKey, Message, Outbox,
    ProfileStore, Purpose, SecurityEvent, StoreError, StoredPasswordHash, ThrottleKey,
    ThrottleStore, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId,
};

use crate::AccountFixture;

/// Every store trait in memory: the host's accounts and all of acctsec's security state.
///
/// For tests, examples and single-process hosts that accept losing state on restart. Clones share
/// one store; every operation holds one lock, so each is atomic.
///
/// ```
/// use acctsec_core::{BindingDigest, Purpose, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId};
/// use acctsec_testkit::MemoryStore;
///
/// # acctsec_testkit::block_on(async {
/// let store = MemoryStore::new();
/// let now = Timestamp::from_unix_secs(1_000);
/// let record = TokenRecord::new(
///     TokenDigest::from_bytes([1; 32]),
///     UserId::from(7_u64),
///     Purpose::PASSWORD_RESET,
///     BindingDigest::from_bytes([2; 32]),
///     now,
///     Timestamp::from_unix_secs(1_900),
/// );
/// store.insert(&record).await?;
/// assert_eq!(store.take(&record.digest, now).await?, Some(record.clone()));
/// assert_eq!(store.take(&record.digest, now).await?, None);
/// # Ok::<(), acctsec_core::StoreError>(())
/// # })??;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<Mutex<State>>);

#[derive(Default)]
struct State {
    accounts: HashMap<UserId, Account>,
    account_ids_by_email: HashMap<String, UserId>,
    tokens: HashMap<TokenDigest, TokenRecord>,
    throttles: HashMap<ThrottleKey, ThrottleCounter>,
    events: HashMap<UserId, BTreeMap<ActivityCursor, SecurityEvent>>,
    last_event_id: u64,
    profiles: HashMap<UserId, VersionedProfile>,
    outbox: BTreeMap<OutboxId, OutboxEntry>,
    outbox_ids_by_key: HashMap<IdempotencyKey, OutboxId>,
    last_outbox_id: u64,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave a half-done operation behind: each
        // operation checks before it mutates.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an account.
    ///
    /// # Errors
    ///
    /// A conflict if its id or normalised email is taken.
    pub fn insert_account(&self, account: Account) -> Result<(), StoreError> {
        let mut state = self.state();
        let key = account.email.normalized().to_owned();
        if state.accounts.contains_key(&account.id) || state.account_ids_by_email.contains_key(&key)
        {
            return Err(StoreError::conflict("account id or email already taken"));
        }
        state.account_ids_by_email.insert(key, account.id.clone());
        state.accounts.insert(account.id.clone(), account);
        Ok(())
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("MemoryStore")
            .field("accounts", &state.accounts.len())
            .field("tokens", &state.tokens.len())
            .field("throttles", &state.throttles.len())
            .field("event_users", &state.events.len())
            .field("profiles", &state.profiles.len())
            .field("outbox", &state.outbox.len())
            .finish()
    }
}

impl AccountFixture for MemoryStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        self.insert_account(account.clone())
    }
}

impl AccountStore for MemoryStore {
    async fn find_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        let state = self.state();
        Ok(state
            .account_ids_by_email
            .get(email.normalized())
            .and_then(|id| state.accounts.get(id))
            .cloned())
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        Ok(self.state().accounts.get(id).cloned())
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected_version: u64,
        hash: &StoredPasswordHash,
    ) -> Result<Option<u64>, StoreError> {
        let mut state = self.state();
        let Some(account) = state.accounts.get_mut(id) else {
            return Ok(None);
        };
        if account.credential_version != expected_version {
            return Err(StoreError::conflict("credential version moved on"));
        }
        account.password_hash = Some(hash.clone());
        account.credential_version += 1;
        Ok(Some(account.credential_version))
    }

    async fn end_sessions(&self, id: &UserId) -> Result<Option<u64>, StoreError> {
        Ok(self.state().accounts.get_mut(id).map(|account| {
            account.session_epoch += 1;
            account.session_epoch
        }))
    }
}

impl TokenStore for MemoryStore {
    async fn insert(&self, record: &TokenRecord) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.tokens.contains_key(&record.digest) {
            return Err(StoreError::conflict("token digest already on record"));
        }
        state.tokens.insert(record.digest, record.clone());
        Ok(())
    }

    async fn take(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .state()
            .tokens
            .remove(digest)
            .filter(|record| record.is_live_at(now)))
    }

    async fn revoke_all(&self, user: &UserId, purpose: &Purpose) -> Result<u64, StoreError> {
        let mut state = self.state();
        let before = state.tokens.len();
        state
            .tokens
            .retain(|_, r| !(&r.user == user && &r.purpose == purpose));
        Ok(count(before - state.tokens.len()))
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        let mut state = self.state();
        let before = state.tokens.len();
        state.tokens.retain(|_, r| r.is_live_at(now));
        Ok(count(before - state.tokens.len()))
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl ThrottleStore for MemoryStore {
    async fn hit(
        &self,
        key: &ThrottleKey,
        window: Duration,
        now: Timestamp,
    ) -> Result<ThrottleCounter, StoreError> {
        let mut state = self.state();
        let counter = state
            .throttles
            .entry(key.clone())
            .and_modify(|c| {
                *c = if now < c.resets_at {
                    ThrottleCounter::new(c.count.saturating_add(1), c.resets_at)
                } else {
                    ThrottleCounter::new(1, now.saturating_add(window))
                };
            })
            .or_insert_with(|| ThrottleCounter::new(1, now.saturating_add(window)));
        Ok(*counter)
    }

    async fn get(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> Result<Option<ThrottleCounter>, StoreError> {
        Ok(self
            .state()
            .throttles
            .get(key)
            .filter(|c| now < c.resets_at)
            .copied())
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        self.state().throttles.remove(key);
        Ok(())
    }
}

impl ActivityLog for MemoryStore {
    async fn append(&self, event: &SecurityEvent) -> Result<EventId, StoreError> {
        let mut state = self.state();
        state.last_event_id += 1;
        let id = EventId(state.last_event_id);
        state
            .events
            .entry(event.user.clone())
            .or_default()
            .insert(ActivityCursor { at: event.at, id }, event.clone());
        Ok(id)
    }

    async fn page(
        &self,
        user: &UserId,
        after: Option<ActivityCursor>,
        limit: usize,
    ) -> Result<ActivityPage, StoreError> {
        let limit = activity_page_limit(limit);
        let state = self.state();
        let events = state.events.get(user).map_or_else(Vec::new, |log| {
            let older = match after {
                Some(cursor) => log.range(..cursor),
                None => log.range(..),
            };
            older
                .rev()
                .take(limit)
                .map(|(cursor, event)| RecordedEvent::new(cursor.id, event.clone()))
                .collect()
        });
        Ok(ActivityPage::new(events, limit))
    }
}

impl ProfileStore for MemoryStore {
    async fn load(&self, user: &UserId) -> Result<Option<VersionedProfile>, StoreError> {
        Ok(self.state().profiles.get(user).cloned())
    }

    async fn save(
        &self,
        user: &UserId,
        expected_version: Option<u64>,
        data: &ProfileData,
    ) -> Result<u64, StoreError> {
        let mut state = self.state();
        let current = state.profiles.get(user).map(|p| p.version);
        if current != expected_version {
            return Err(StoreError::conflict("profile version moved on"));
        }
        let version = current.map_or(1, |v| v + 1);
        state
            .profiles
            .insert(user.clone(), VersionedProfile::new(version, data.clone()));
        Ok(version)
    }

    async fn remove(&self, user: &UserId) -> Result<bool, StoreError> {
        Ok(self.state().profiles.remove(user).is_some())
    }
}

impl State {
    /// The entry `lease` holds, or a conflict if it no longer holds it.
    fn leased_entry(&mut self, lease: &Lease) -> Result<&mut OutboxEntry, StoreError> {
        self.outbox
            .get_mut(&lease.id)
            .filter(|e| {
                e.attempts == lease.attempt && matches!(e.state, OutboxState::Leased { .. })
            })
            .ok_or(StoreError::conflict("outbox lease no longer held"))
    }
}

/// When an entry may be claimed, if ever.
fn claimable_from(entry: &OutboxEntry) -> Option<Timestamp> {
    match entry.state {
        OutboxState::Pending { due } => Some(due),
        OutboxState::Leased { until } => Some(until),
        _ => None,
    }
}

impl Outbox for MemoryStore {
    async fn enqueue(
        &self,
        key: &IdempotencyKey,
        message: &Message,
        now: Timestamp,
    ) -> Result<Enqueued, StoreError> {
        let mut state = self.state();
        if let Some(id) = state.outbox_ids_by_key.get(key) {
            return Ok(Enqueued::Duplicate(*id));
        }
        state.last_outbox_id += 1;
        let id = OutboxId(state.last_outbox_id);
        state.outbox_ids_by_key.insert(key.clone(), id);
        let entry = OutboxEntry::new(
            id,
            key.clone(),
            message.clone(),
            0,
            OutboxState::Pending { due: now },
            None,
        );
        state.outbox.insert(id, entry);
        Ok(Enqueued::New(id))
    }

    async fn claim(
        &self,
        now: Timestamp,
        lease_for: Duration,
        limit: usize,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let mut state = self.state();
        let mut due: Vec<(Timestamp, OutboxId)> = state
            .outbox
            .values()
            .filter_map(|e| claimable_from(e).filter(|t| *t <= now).map(|t| (t, e.id)))
            .collect();
        due.sort_unstable();
        let until = now.saturating_add(lease_for);
        let mut claimed = Vec::new();
        for (_, id) in due.into_iter().take(outbox_claim_limit(limit)) {
            if let Some(entry) = state.outbox.get_mut(&id) {
                entry.attempts = entry.attempts.saturating_add(1);
                entry.state = OutboxState::Leased { until };
                claimed.push(ClaimedMessage::new(
                    Lease::new(id, entry.attempts, until),
                    entry.key.clone(),
                    entry.message.clone(),
                ));
            }
        }
        Ok(claimed)
    }

    async fn complete(&self, lease: &Lease, now: Timestamp) -> Result<(), StoreError> {
        self.state().leased_entry(lease)?.state = OutboxState::Delivered { at: now };
        Ok(())
    }

    async fn retry(&self, lease: &Lease, at: Timestamp, error: &Detail) -> Result<(), StoreError> {
        let mut state = self.state();
        let entry = state.leased_entry(lease)?;
        entry.state = OutboxState::Pending { due: at };
        entry.last_error = Some(error.clone());
        Ok(())
    }

    async fn dead_letter(
        &self,
        lease: &Lease,
        reason: &Detail,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.state().leased_entry(lease)?.state = OutboxState::DeadLettered {
            at: now,
            reason: reason.clone(),
        };
        Ok(())
    }

    async fn get(&self, id: OutboxId) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self.state().outbox.get(&id).cloned())
    }
}

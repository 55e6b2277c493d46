use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use acctsec_core::store::{
    MAX_DISTINCT_MEMBERS, activity_page_limit, outbox_claim_limit, outbox_page_limit,
    password_history_limit, purge_batch_limit,
};
use acctsec_core::{
    Account, AccountStore, ActivityCursor, ActivityLog, ActivityPage, ClaimedMessage,
    DeliveryReport, Detail, DistinctCounter, Email, Enqueued, EventId, IdempotencyKey, Lease,
    MemberDigest, Outbox, OutboxEntry, OutboxId, OutboxMessage, OutboxState, PasswordHistory,
    PasswordReplaced, ProfileData, ProfileStore, Purpose, RecordedEvent, SecurityEvent, StoreError,
    StoredPasswordHash, ThrottleCounter, ThrottleKey, ThrottleStore, Timestamp, TokenDigest,
    TokenRecord, TokenStore, UserId, VersionedProfile,
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
/// store.insert(&record, now).await?;
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
    tokens: HashMap<TokenDigest, TokenRecord>,
    throttles: HashMap<ThrottleKey, ThrottleCounter>,
    distinct: HashMap<ThrottleKey, DistinctSet>,
    events: HashMap<UserId, BTreeMap<ActivityCursor, SecurityEvent>>,
    last_event_id: u64,
    profiles: HashMap<UserId, VersionedProfile>,
    outbox: BTreeMap<OutboxId, OutboxEntry>,
    outbox_ids_by_key: HashMap<IdempotencyKey, OutboxId>,
    last_outbox_id: u64,
    history: HashMap<UserId, VecDeque<StoredPasswordHash>>,
}

struct DistinctSet {
    members: HashSet<MemberDigest>,
    resets_at: Timestamp,
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

    /// Removes every token record `doomed` picks; returns how many.
    fn revoke_where(&self, doomed: impl Fn(&TokenRecord) -> bool) -> u64 {
        let mut state = self.state();
        let before = state.tokens.len();
        state.tokens.retain(|_, r| !doomed(r));
        count(before - state.tokens.len())
    }

    /// Adds an account.
    ///
    /// # Errors
    ///
    /// A conflict if its id or normalised email is taken.
    pub fn insert_account(&self, account: Account) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.accounts.contains_key(&account.id)
            || state.email_owner(&account.email, None).is_some()
        {
            return Err(StoreError::conflict("account id or email already taken"));
        }
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
            .field("throttles", &(state.throttles.len() + state.distinct.len()))
            .field("event_users", &state.events.len())
            .field("profiles", &state.profiles.len())
            .field("outbox", &state.outbox.len())
            .field("history_users", &state.history.len())
            .finish()
    }
}

/// Creates accounts as given — also a second account with an email another one has, as a host's
/// table without a unique index could hold, so the `Corrupt` clause can be checked.
impl AccountFixture for MemoryStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.accounts.contains_key(&account.id) {
            return Err(StoreError::conflict("account id already taken"));
        }
        state.accounts.insert(account.id.clone(), account.clone());
        Ok(())
    }
}

impl State {
    /// The one account whose normalised email is `email`'s, other than `except`; `Corrupt` when
    /// several have it.
    fn email_owner(
        &self,
        email: &Email,
        except: Option<&UserId>,
    ) -> Option<Result<&Account, StoreError>> {
        let mut found = self
            .accounts
            .values()
            .filter(|a| a.email.normalized() == email.normalized() && Some(&a.id) != except);
        let first = found.next()?;
        Some(match found.next() {
            None => Ok(first),
            Some(_) => Err(StoreError::new(
                acctsec_core::StoreErrorKind::Corrupt,
                "several accounts share one normalised email",
            )),
        })
    }

    /// The account `id` if its credential version is `expected`; `None` if there is no such
    /// account; a conflict if the version moved on.
    fn account_at(
        &mut self,
        id: &UserId,
        expected: u64,
    ) -> Result<Option<&mut Account>, StoreError> {
        match self.accounts.get_mut(id) {
            None => Ok(None),
            Some(a) if a.credential_version != expected => {
                Err(StoreError::conflict("credential version moved on"))
            }
            Some(a) => Ok(Some(a)),
        }
    }
}

impl AccountStore for MemoryStore {
    async fn find_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
        self.state()
            .email_owner(email, None)
            .transpose()
            .map(|a| a.cloned())
    }

    async fn find_by_id(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
        Ok(self.state().accounts.get(id).cloned())
    }

    async fn replace_password_hash(
        &self,
        id: &UserId,
        expected_version: u64,
        hash: &StoredPasswordHash,
        end_sessions: bool,
    ) -> Result<Option<PasswordReplaced>, StoreError> {
        let mut state = self.state();
        Ok(state.account_at(id, expected_version)?.map(|account| {
            account.password_hash = Some(hash.clone());
            account.credential_version += 1;
            if end_sessions {
                account.session_epoch += 1;
            }
            PasswordReplaced::new(account.credential_version, account.session_epoch)
        }))
    }

    async fn upgrade_password_hash(
        &self,
        id: &UserId,
        expected_version: u64,
        hash: &StoredPasswordHash,
    ) -> Result<Option<u64>, StoreError> {
        let mut state = self.state();
        Ok(state.account_at(id, expected_version)?.map(|account| {
            account.password_hash = Some(hash.clone());
            account.credential_version
        }))
    }

    async fn replace_email(
        &self,
        id: &UserId,
        expected_version: u64,
        email: &Email,
    ) -> Result<Option<u64>, StoreError> {
        let mut state = self.state();
        if state.accounts.contains_key(id) && state.email_owner(email, Some(id)).is_some() {
            return Err(StoreError::conflict("email already taken"));
        }
        Ok(state.account_at(id, expected_version)?.map(|account| {
            account.email = email.clone();
            account.credential_version += 1;
            account.credential_version
        }))
    }

    async fn end_sessions(&self, id: &UserId) -> Result<Option<u64>, StoreError> {
        Ok(self.state().accounts.get_mut(id).map(|account| {
            account.session_epoch += 1;
            account.session_epoch
        }))
    }

    async fn set_anti_phishing_phrase(
        &self,
        id: &UserId,
        phrase: Option<&Detail>,
    ) -> Result<Option<u64>, StoreError> {
        Ok(self.state().accounts.get_mut(id).map(|account| {
            account.anti_phishing_phrase = phrase.cloned();
            account.credential_version
        }))
    }
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Removes at most `limit` entries of `map` that `dead` picks; returns how many.
fn remove_some<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    limit: usize,
    dead: impl Fn(&V) -> bool,
) -> usize {
    let doomed: Vec<K> = map
        .iter()
        .filter(|(_, v)| dead(v))
        .map(|(k, _)| k.clone())
        .take(limit)
        .collect();
    for k in &doomed {
        map.remove(k);
    }
    doomed.len()
}

impl TokenStore for MemoryStore {
    async fn insert(&self, record: &TokenRecord, _now: Timestamp) -> Result<(), StoreError> {
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

    async fn peek(
        &self,
        digest: &TokenDigest,
        now: Timestamp,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .state()
            .tokens
            .get(digest)
            .filter(|record| record.is_live_at(now))
            .cloned())
    }

    async fn revoke_all(&self, user: &UserId, purpose: &Purpose) -> Result<u64, StoreError> {
        Ok(self.revoke_where(|r| &r.user == user && &r.purpose == purpose))
    }

    async fn revoke_user(&self, user: &UserId) -> Result<u64, StoreError> {
        Ok(self.revoke_where(|r| &r.user == user))
    }

    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let mut state = self.state();
        let removed = remove_some(&mut state.tokens, purge_batch_limit(limit), |r| {
            !r.is_live_at(now)
        });
        Ok(count(removed))
    }
}

impl ThrottleStore for MemoryStore {
    async fn hit(
        &self,
        key: &ThrottleKey,
        window: Duration,
        now: Timestamp,
    ) -> Result<ThrottleCounter, StoreError> {
        let mut state = self.state();
        let fresh = ThrottleCounter::new(1, now.saturating_add(window), now);
        let counter = state
            .throttles
            .entry(key.clone())
            .and_modify(|c| {
                *c = if now < c.resets_at {
                    ThrottleCounter::new(
                        c.count.saturating_add(1),
                        c.resets_at,
                        c.last_hit.max(now),
                    )
                } else {
                    fresh
                };
            })
            .or_insert(fresh);
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

    async fn hit_distinct(
        &self,
        key: &ThrottleKey,
        member: &MemberDigest,
        window: Duration,
        now: Timestamp,
    ) -> Result<DistinctCounter, StoreError> {
        let mut state = self.state();
        let set = state
            .distinct
            .entry(key.clone())
            .or_insert_with(|| DistinctSet {
                members: HashSet::new(),
                resets_at: now.saturating_add(window),
            });
        if now >= set.resets_at {
            set.members.clear();
            set.resets_at = now.saturating_add(window);
        }
        let new_member = set.members.len() < MAX_DISTINCT_MEMBERS && set.members.insert(*member);
        Ok(DistinctCounter::new(
            count(set.members.len()),
            new_member,
            set.resets_at,
        ))
    }

    async fn distinct(
        &self,
        key: &ThrottleKey,
        now: Timestamp,
    ) -> Result<Option<DistinctCounter>, StoreError> {
        Ok(self
            .state()
            .distinct
            .get(key)
            .filter(|set| now < set.resets_at)
            .map(|set| DistinctCounter::new(count(set.members.len()), false, set.resets_at)))
    }

    async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
        let mut state = self.state();
        state.throttles.remove(key);
        state.distinct.remove(key);
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let mut state = self.state();
        let limit = purge_batch_limit(limit);
        let counters = remove_some(&mut state.throttles, limit, |c| c.resets_at <= now);
        let sets = remove_some(&mut state.distinct, limit - counters, |s| {
            s.resets_at <= now
        });
        Ok(count(counters + sets))
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

    async fn purge_before(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let mut state = self.state();
        // Oldest first across users: every old event's (at, id, user), sorted.
        let mut old: BTreeSet<(ActivityCursor, UserId)> = BTreeSet::new();
        for (user, log) in &state.events {
            for cursor in log.keys().take_while(|c| c.at < before) {
                old.insert((*cursor, user.clone()));
            }
        }
        let doomed: Vec<_> = old.into_iter().take(purge_batch_limit(limit)).collect();
        for (cursor, user) in &doomed {
            if let Some(log) = state.events.get_mut(user) {
                log.remove(cursor);
            }
        }
        state.events.retain(|_, log| !log.is_empty());
        Ok(count(doomed.len()))
    }

    async fn forget_user(&self, user: &UserId, limit: usize) -> Result<u64, StoreError> {
        let mut state = self.state();
        let Some(log) = state.events.get_mut(user) else {
            return Ok(0);
        };
        let doomed: Vec<_> = log.keys().take(purge_batch_limit(limit)).copied().collect();
        for cursor in &doomed {
            log.remove(cursor);
        }
        if log.is_empty() {
            state.events.remove(user);
        }
        Ok(count(doomed.len()))
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

impl PasswordHistory for MemoryStore {
    async fn push(
        &self,
        user: &UserId,
        hash: &StoredPasswordHash,
        keep: usize,
        _now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let hashes = state.history.entry(user.clone()).or_default();
        hashes.push_front(hash.clone());
        hashes.truncate(password_history_limit(keep));
        Ok(())
    }

    async fn recent(
        &self,
        user: &UserId,
        limit: usize,
    ) -> Result<Vec<StoredPasswordHash>, StoreError> {
        Ok(self.state().history.get(user).map_or_else(Vec::new, |h| {
            h.iter()
                .take(password_history_limit(limit))
                .cloned()
                .collect()
        }))
    }

    async fn forget(&self, user: &UserId) -> Result<u64, StoreError> {
        Ok(self
            .state()
            .history
            .remove(user)
            .map_or(0, |h| count(h.len())))
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
        message: &OutboxMessage,
        now: Timestamp,
    ) -> Result<Enqueued, StoreError> {
        let mut state = self.state();
        if let Some(id) = state.outbox_ids_by_key.get(&message.key) {
            return Ok(Enqueued::Duplicate(*id));
        }
        state.last_outbox_id += 1;
        let id = OutboxId(state.last_outbox_id);
        state.outbox_ids_by_key.insert(message.key.clone(), id);
        state
            .outbox
            .insert(id, OutboxEntry::enqueued(id, message.clone(), now));
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
                    entry.message.clone(),
                ));
            }
        }
        Ok(claimed)
    }

    async fn extend(&self, lease: &Lease, until: Timestamp) -> Result<Lease, StoreError> {
        let mut state = self.state();
        let entry = state.leased_entry(lease)?;
        entry.state = OutboxState::Leased { until };
        Ok(Lease::new(lease.id, lease.attempt, until))
    }

    async fn mark_sent(
        &self,
        lease: &Lease,
        receipt: &Detail,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let entry = state.leased_entry(lease)?;
        entry.state = OutboxState::Sent { at: now };
        entry.receipt = Some(receipt.clone());
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

    async fn requeue(&self, id: OutboxId, now: Timestamp) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(entry) = state.outbox.get_mut(&id) else {
            return Ok(false);
        };
        if !matches!(entry.state, OutboxState::DeadLettered { .. }) {
            return Err(StoreError::conflict("only a dead letter can be requeued"));
        }
        entry.state = OutboxState::Pending { due: now };
        Ok(true)
    }

    async fn record_delivery(
        &self,
        id: OutboxId,
        report: &DeliveryReport,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(entry) = state.outbox.get_mut(&id) else {
            return Ok(false);
        };
        if !matches!(
            entry.state,
            OutboxState::Sent { .. } | OutboxState::Delivered { .. } | OutboxState::Bounced { .. }
        ) {
            return Err(StoreError::conflict(
                "a delivery report needs a sent message",
            ));
        }
        entry.state = match report {
            DeliveryReport::Bounced(reason) => OutboxState::Bounced {
                at: now,
                reason: reason.clone(),
            },
            _ => OutboxState::Delivered { at: now },
        };
        Ok(true)
    }

    async fn get(&self, id: OutboxId) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self.state().outbox.get(&id).cloned())
    }

    async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<OutboxEntry>, StoreError> {
        let state = self.state();
        Ok(state
            .outbox_ids_by_key
            .get(key)
            .and_then(|id| state.outbox.get(id))
            .cloned())
    }

    async fn for_user(&self, user: &UserId, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let state = self.state();
        let mut mine: Vec<&OutboxEntry> = state
            .outbox
            .values()
            .filter(|e| e.message.user.as_ref() == Some(user))
            .collect();
        mine.sort_unstable_by_key(|e| std::cmp::Reverse((e.enqueued_at, e.id)));
        Ok(mine
            .into_iter()
            .take(outbox_page_limit(limit))
            .cloned()
            .collect())
    }

    async fn dead_letters(
        &self,
        after: Option<OutboxId>,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let state = self.state();
        let from = after.map_or(OutboxId(0), |id| OutboxId(id.0.saturating_add(1)));
        Ok(state
            .outbox
            .range(from..)
            .map(|(_, e)| e)
            .filter(|e| matches!(e.state, OutboxState::DeadLettered { .. }))
            .take(outbox_page_limit(limit))
            .cloned()
            .collect())
    }

    async fn purge_finished(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
        let mut state = self.state();
        let mut finished: Vec<(Timestamp, OutboxId)> = state
            .outbox
            .values()
            .filter_map(|e| {
                e.state
                    .finished_at()
                    .filter(|at| *at < before)
                    .map(|at| (at, e.id))
            })
            .collect();
        finished.sort_unstable();
        finished.truncate(purge_batch_limit(limit));
        for (_, id) in &finished {
            if let Some(entry) = state.outbox.remove(id) {
                state.outbox_ids_by_key.remove(&entry.message.key);
            }
        }
        Ok(count(finished.len()))
    }
}

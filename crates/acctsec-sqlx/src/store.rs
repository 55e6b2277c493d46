//! Every store trait in SQL, written once and stamped out for each back end by [`sql_store!`]:
//! the statements are the same on SQLite and PostgreSQL (placeholders `$1`, `$2`, … in the order
//! they first appear, which both read positionally), except where a back end needs its own — the
//! outbox claim's row locks and the history's per-user lock on PostgreSQL. SQLite runs on one
//! connection (its writers take turns anyway), so every multi-statement operation is serialized
//! there; on PostgreSQL they are transactions, locked where a race could break a contract.

/// Implements every store trait and the account fixture for `$store`, whose `pool` field is a
/// pool of `$db`. `$claim_lock` is appended to the outbox claim's select (row locks that skip
/// those another worker holds); `$history_lock` is run first in a history push with the user id,
/// when the back end needs a lock to keep racing pushes to `keep` rows.
macro_rules! sql_store {
    ($store:ty, $db:ty, $claim_lock:expr, $history_lock:expr) => { const _: () = {
        use std::time::Duration;

        use acctsec_core::store::{
            MAX_DISTINCT_MEMBERS, activity_page_limit, outbox_claim_limit, outbox_page_limit,
            password_history_limit, purge_batch_limit,
        };
        use acctsec_core::{
            Account, AccountStore, ActivityCursor, ActivityLog, ActivityPage, ClaimedMessage,
            DeliveryReport, Detail, DistinctCounter, Email, Enqueued, EventId, IdempotencyKey,
            Lease, MemberDigest, Outbox, OutboxEntry, OutboxId, OutboxMessage,
            PasswordHistory, PasswordReplaced, ProfileData, ProfileStore, Purpose,
            RecordedEvent, SecurityEvent, StoreError, StoredPasswordHash, ThrottleCounter,
            ThrottleKey, ThrottleStore, Timestamp, TokenDigest, TokenRecord, TokenStore, UserId,
            VersionedProfile,
        };

        use crate::codec::{self, OUTBOX_COLUMNS, ms, signed, time, unsigned};
        use crate::error::db;

        const ACCOUNT_COLUMNS: &str = "id, email, password_hash, credential_version, \
            session_epoch, second_factor, disabled, anti_phishing_phrase";

        impl $store {
            /// Creates `account` as given: the accounts table for hosts that have none (and the
            /// examples), and the account suite's fixture. Another account's normalised
            /// address is a conflict (the table keeps one account per address).
            ///
            /// # Errors
            ///
            /// A conflict if the id or the normalised address is taken; another
            /// [`StoreError`] if the database failed.
            pub async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO acctsec_accounts (id, email, email_key, password_hash, \
                     credential_version, session_epoch, second_factor, disabled, \
                     anti_phishing_phrase) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(account.id.as_str())
                .bind(account.email.as_str())
                .bind(account.email.normalized())
                .bind(account.password_hash.as_ref().map(StoredPasswordHash::as_str))
                .bind(signed(account.credential_version)?)
                .bind(signed(account.session_epoch)?)
                .bind(account.second_factor)
                .bind(account.disabled)
                .bind(account.anti_phishing_phrase.as_ref().map(Detail::as_str))
                .execute(&self.pool)
                .await
                .map_err(db("create account"))?;
                Ok(())
            }

            /// Whether the account exists (to tell a lost compare-and-swap from a missing row).
            async fn account_exists(&self, id: &UserId) -> Result<bool, StoreError> {
                let row: Option<(i64,)> =
                    sqlx::query_as("SELECT credential_version FROM acctsec_accounts WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db("find account"))?;
                Ok(row.is_some())
            }

            /// `None` if the row is gone, a conflict if it is there but the guarded write did not
            /// apply.
            async fn lost_swap<T>(&self, id: &UserId, what: &'static str) -> Result<Option<T>, StoreError> {
                if self.account_exists(id).await? {
                    Err(StoreError::conflict(what))
                } else {
                    Ok(None)
                }
            }

            async fn outbox_row(&self, sql: &str, id: i64) -> Result<Option<OutboxEntry>, StoreError> {
                let row: Option<codec::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("read outbox"))?;
                row.map(codec::outbox_entry).transpose()
            }

            /// Ends or returns a leased message: `set` assigns from `$1` (a time) and `$2` (a
            /// detail), applied only while `lease` is still held.
            async fn settle_lease(
                &self,
                set: &'static str,
                at: Timestamp,
                detail: &Detail,
                lease: &Lease,
                what: &'static str,
            ) -> Result<(), StoreError> {
                let sql = format!(
                    "UPDATE acctsec_outbox SET {set} \
                     WHERE id = $3 AND attempts = $4 AND state = 'leased'"
                );
                let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(ms(at))
                    .bind(detail.as_str())
                    .bind(signed(lease.id.0)?)
                    .bind(i64::from(lease.attempt))
                    .execute(&self.pool)
                    .await
                    .map_err(db(what))?;
                lease_held(done.rows_affected())
            }
        }

        /// A guarded change to a leased message applied to one row, or else the lease was lost.
        fn lease_held(rows: u64) -> Result<(), StoreError> {
            if rows == 1 {
                Ok(())
            } else {
                Err(StoreError::conflict("outbox lease no longer held"))
            }
        }

        impl AccountStore for $store {
            async fn find_by_email(&self, email: &Email) -> Result<Option<Account>, StoreError> {
                let rows: Vec<codec::AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM acctsec_accounts WHERE email_key = $1 LIMIT 2"
                )))
                .bind(email.normalized())
                .fetch_all(&self.pool)
                .await
                .map_err(db("find account"))?;
                if rows.len() > 1 {
                    return Err(codec::corrupt("accounts sharing one address"));
                }
                rows.into_iter().next().map(codec::account).transpose()
            }

            async fn find_by_id(&self, id: &UserId) -> Result<Option<Account>, StoreError> {
                let row: Option<codec::AccountRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM acctsec_accounts WHERE id = $1"
                )))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("find account"))?;
                row.map(codec::account).transpose()
            }

            async fn replace_password_hash(
                &self,
                id: &UserId,
                expected_version: u64,
                hash: &StoredPasswordHash,
                end_sessions: bool,
            ) -> Result<Option<PasswordReplaced>, StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "UPDATE acctsec_accounts SET password_hash = $1, \
                     credential_version = credential_version + 1, \
                     session_epoch = session_epoch + $2 \
                     WHERE id = $3 AND credential_version = $4 \
                     RETURNING credential_version, session_epoch",
                )
                .bind(hash.as_str())
                .bind(i64::from(end_sessions))
                .bind(id.as_str())
                .bind(signed(expected_version)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("replace password hash"))?;
                match row {
                    Some((version, epoch)) => Ok(Some(PasswordReplaced::new(
                        unsigned(version, "credential version")?,
                        unsigned(epoch, "session epoch")?,
                    ))),
                    None => self.lost_swap(id, "credential version moved on").await,
                }
            }

            async fn upgrade_password_hash(
                &self,
                id: &UserId,
                expected_version: u64,
                hash: &StoredPasswordHash,
            ) -> Result<Option<u64>, StoreError> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE acctsec_accounts SET password_hash = $1 \
                     WHERE id = $2 AND credential_version = $3 RETURNING credential_version",
                )
                .bind(hash.as_str())
                .bind(id.as_str())
                .bind(signed(expected_version)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("upgrade password hash"))?;
                match row {
                    Some((version,)) => Ok(Some(unsigned(version, "credential version")?)),
                    None => self.lost_swap(id, "credential version moved on").await,
                }
            }

            async fn replace_email(
                &self,
                id: &UserId,
                expected_version: u64,
                email: &Email,
            ) -> Result<Option<u64>, StoreError> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE acctsec_accounts SET email = $1, email_key = $2, \
                     credential_version = credential_version + 1 \
                     WHERE id = $3 AND credential_version = $4 RETURNING credential_version",
                )
                .bind(email.as_str())
                .bind(email.normalized())
                .bind(id.as_str())
                .bind(signed(expected_version)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("replace email"))?;
                match row {
                    Some((version,)) => Ok(Some(unsigned(version, "credential version")?)),
                    None => self.lost_swap(id, "credential version moved on").await,
                }
            }

            async fn end_sessions(&self, id: &UserId) -> Result<Option<u64>, StoreError> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE acctsec_accounts SET session_epoch = session_epoch + 1 \
                     WHERE id = $1 RETURNING session_epoch",
                )
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("end sessions"))?;
                row.map(|(epoch,)| unsigned(epoch, "session epoch")).transpose()
            }

            async fn set_anti_phishing_phrase(
                &self,
                id: &UserId,
                phrase: Option<&Detail>,
            ) -> Result<Option<u64>, StoreError> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "UPDATE acctsec_accounts SET anti_phishing_phrase = $1 \
                     WHERE id = $2 RETURNING credential_version",
                )
                .bind(phrase.map(Detail::as_str))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("set anti-phishing phrase"))?;
                row.map(|(v,)| unsigned(v, "credential version")).transpose()
            }
        }

        impl TokenStore for $store {
            async fn insert(&self, record: &TokenRecord, _now: Timestamp) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO acctsec_tokens (digest, user_id, purpose, binding, issued_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(record.digest.as_bytes().as_slice())
                .bind(record.user.as_str())
                .bind(record.purpose.as_str())
                .bind(record.binding.as_bytes().as_slice())
                .bind(ms(record.issued_at))
                .bind(ms(record.expires_at))
                .execute(&self.pool)
                .await
                .map_err(db("insert token"))?;
                Ok(())
            }

            async fn take(
                &self,
                digest: &TokenDigest,
                now: Timestamp,
            ) -> Result<Option<TokenRecord>, StoreError> {
                // One statement: of racing takers, one deletes the row and gets it back.
                let row: Option<codec::TokenRow> = sqlx::query_as(
                    "DELETE FROM acctsec_tokens WHERE digest = $1 \
                     RETURNING digest, user_id, purpose, binding, issued_at, expires_at",
                )
                .bind(digest.as_bytes().as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("take token"))?;
                Ok(row
                    .map(codec::token)
                    .transpose()?
                    .filter(|r| r.is_live_at(now)))
            }

            async fn peek(
                &self,
                digest: &TokenDigest,
                now: Timestamp,
            ) -> Result<Option<TokenRecord>, StoreError> {
                let row: Option<codec::TokenRow> = sqlx::query_as(
                    "SELECT digest, user_id, purpose, binding, issued_at, expires_at \
                     FROM acctsec_tokens WHERE digest = $1 AND expires_at > $2",
                )
                .bind(digest.as_bytes().as_slice())
                .bind(ms(now))
                .fetch_optional(&self.pool)
                .await
                .map_err(db("peek token"))?;
                row.map(codec::token).transpose()
            }

            async fn revoke_all(&self, user: &UserId, purpose: &Purpose) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM acctsec_tokens WHERE user_id = $1 AND purpose = $2",
                )
                .bind(user.as_str())
                .bind(purpose.as_str())
                .execute(&self.pool)
                .await
                .map_err(db("revoke tokens"))?;
                Ok(done.rows_affected())
            }

            async fn revoke_user(&self, user: &UserId) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM acctsec_tokens WHERE user_id = $1")
                    .bind(user.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(db("revoke tokens"))?;
                Ok(done.rows_affected())
            }

            async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM acctsec_tokens WHERE digest IN (SELECT digest FROM \
                     acctsec_tokens WHERE expires_at <= $1 LIMIT $2)",
                )
                .bind(ms(now))
                .bind(signed(purge_batch_limit(limit) as u64)?)
                .execute(&self.pool)
                .await
                .map_err(db("purge tokens"))?;
                Ok(done.rows_affected())
            }
        }

        impl ThrottleStore for $store {
            async fn hit(
                &self,
                key: &ThrottleKey,
                window: Duration,
                now: Timestamp,
            ) -> Result<ThrottleCounter, StoreError> {
                // One upsert: a hit in the live window counts up, one after it opens a new window.
                let (count, resets_at, last_hit): (i64, i64, i64) = sqlx::query_as(
                    "INSERT INTO acctsec_throttles (key, count, resets_at, last_hit) \
                     VALUES ($1, 1, $2, $3) ON CONFLICT (key) DO UPDATE SET \
                     count = CASE WHEN $3 < acctsec_throttles.resets_at \
                         THEN acctsec_throttles.count + 1 ELSE 1 END, \
                     last_hit = CASE WHEN $3 < acctsec_throttles.resets_at \
                         AND acctsec_throttles.last_hit > $3 \
                         THEN acctsec_throttles.last_hit ELSE $3 END, \
                     resets_at = CASE WHEN $3 < acctsec_throttles.resets_at \
                         THEN acctsec_throttles.resets_at ELSE $2 END \
                     RETURNING count, resets_at, last_hit",
                )
                .bind(key.as_str())
                .bind(ms(now.saturating_add(window)))
                .bind(ms(now))
                .fetch_one(&self.pool)
                .await
                .map_err(db("throttle hit"))?;
                Ok(ThrottleCounter::new(
                    unsigned(count, "throttle count")?,
                    time(resets_at),
                    time(last_hit),
                ))
            }

            async fn get(
                &self,
                key: &ThrottleKey,
                now: Timestamp,
            ) -> Result<Option<ThrottleCounter>, StoreError> {
                let row: Option<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT count, resets_at, last_hit FROM acctsec_throttles \
                     WHERE key = $1 AND resets_at > $2",
                )
                .bind(key.as_str())
                .bind(ms(now))
                .fetch_optional(&self.pool)
                .await
                .map_err(db("throttle get"))?;
                row.map(|(count, resets, last)| {
                    Ok(ThrottleCounter::new(
                        unsigned(count, "throttle count")?,
                        time(resets),
                        time(last),
                    ))
                })
                .transpose()
            }

            async fn hit_distinct(
                &self,
                key: &ThrottleKey,
                member: &MemberDigest,
                window: Duration,
                now: Timestamp,
            ) -> Result<DistinctCounter, StoreError> {
                let mut tx = self.pool.begin().await.map_err(db("distinct hit"))?;
                // The set's row is written first, so racing hits on one key take turns on it.
                let (resets_at, epoch): (i64, i64) = sqlx::query_as(
                    "INSERT INTO acctsec_throttle_sets (key, resets_at, epoch) VALUES ($1, $2, 0) \
                     ON CONFLICT (key) DO UPDATE SET \
                     epoch = CASE WHEN $3 < acctsec_throttle_sets.resets_at \
                         THEN acctsec_throttle_sets.epoch ELSE acctsec_throttle_sets.epoch + 1 END, \
                     resets_at = CASE WHEN $3 < acctsec_throttle_sets.resets_at \
                         THEN acctsec_throttle_sets.resets_at ELSE $2 END \
                     RETURNING resets_at, epoch",
                )
                .bind(key.as_str())
                .bind(ms(now.saturating_add(window)))
                .bind(ms(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(db("distinct hit"))?;
                sqlx::query("DELETE FROM acctsec_throttle_members WHERE key = $1 AND epoch < $2")
                    .bind(key.as_str())
                    .bind(epoch)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("distinct hit"))?;
                const COUNT: &str = "SELECT COUNT(*) FROM acctsec_throttle_members \
                    WHERE key = $1 AND epoch = $2";
                let (before,): (i64,) = sqlx::query_as(COUNT)
                    .bind(key.as_str())
                    .bind(epoch)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("distinct hit"))?;
                let mut new_member = false;
                if unsigned(before, "distinct count")? < MAX_DISTINCT_MEMBERS as u64 {
                    let added = sqlx::query(
                        "INSERT INTO acctsec_throttle_members (key, epoch, member) \
                         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(key.as_str())
                    .bind(epoch)
                    .bind(member.as_bytes().as_slice())
                    .execute(&mut *tx)
                    .await
                    .map_err(db("distinct hit"))?;
                    new_member = added.rows_affected() == 1;
                }
                let (after,): (i64,) = sqlx::query_as(COUNT)
                    .bind(key.as_str())
                    .bind(epoch)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("distinct hit"))?;
                tx.commit().await.map_err(db("distinct hit"))?;
                Ok(DistinctCounter::new(
                    unsigned(after, "distinct count")?,
                    new_member,
                    time(resets_at),
                ))
            }

            async fn distinct(
                &self,
                key: &ThrottleKey,
                now: Timestamp,
            ) -> Result<Option<DistinctCounter>, StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT s.resets_at, (SELECT COUNT(*) FROM acctsec_throttle_members m \
                     WHERE m.key = s.key AND m.epoch = s.epoch) FROM acctsec_throttle_sets s \
                     WHERE s.key = $1 AND s.resets_at > $2",
                )
                .bind(key.as_str())
                .bind(ms(now))
                .fetch_optional(&self.pool)
                .await
                .map_err(db("distinct count"))?;
                row.map(|(resets, n)| {
                    Ok(DistinctCounter::new(unsigned(n, "distinct count")?, false, time(resets)))
                })
                .transpose()
            }

            async fn clear(&self, key: &ThrottleKey) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db("throttle clear"))?;
                for sql in [
                    "DELETE FROM acctsec_throttles WHERE key = $1",
                    "DELETE FROM acctsec_throttle_sets WHERE key = $1",
                ] {
                    sqlx::query(sql)
                        .bind(key.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(db("throttle clear"))?;
                }
                tx.commit().await.map_err(db("throttle clear"))?;
                Ok(())
            }

            async fn purge_expired(&self, now: Timestamp, limit: usize) -> Result<u64, StoreError> {
                let mut left = signed(purge_batch_limit(limit) as u64)?;
                let mut removed = 0;
                for sql in [
                    "DELETE FROM acctsec_throttles WHERE key IN (SELECT key FROM \
                     acctsec_throttles WHERE resets_at <= $1 LIMIT $2)",
                    "DELETE FROM acctsec_throttle_sets WHERE key IN (SELECT key FROM \
                     acctsec_throttle_sets WHERE resets_at <= $1 LIMIT $2)",
                ] {
                    if left == 0 {
                        break;
                    }
                    let done = sqlx::query(sql)
                        .bind(ms(now))
                        .bind(left)
                        .execute(&self.pool)
                        .await
                        .map_err(db("purge throttles"))?;
                    removed += done.rows_affected();
                    left -= signed(done.rows_affected())?;
                }
                Ok(removed)
            }
        }

        impl ActivityLog for $store {
            async fn append(&self, event: &SecurityEvent) -> Result<EventId, StoreError> {
                let c = codec::event_columns(event);
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO acctsec_activity (user_id, kind, at, actor, operator, reason, \
                     ip, user_agent, device, place, detail, correlation) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(c.user)
                .bind(c.kind)
                .bind(c.at)
                .bind(c.actor)
                .bind(c.operator)
                .bind(c.reason)
                .bind(c.ip)
                .bind(c.user_agent)
                .bind(c.device)
                .bind(c.place)
                .bind(c.detail)
                .bind(c.correlation)
                .fetch_one(&self.pool)
                .await
                .map_err(db("append event"))?;
                Ok(EventId(unsigned(id, "event id")?))
            }

            async fn page(
                &self,
                user: &UserId,
                after: Option<ActivityCursor>,
                limit: usize,
            ) -> Result<ActivityPage, StoreError> {
                let limit = activity_page_limit(limit);
                // Without a cursor, start past the last instant there is.
                let (at, id) = match after {
                    Some(c) => (ms(c.at), signed(c.id.0)?),
                    None => (i64::MAX, i64::MAX),
                };
                let rows: Vec<codec::EventRow> = sqlx::query_as(
                    "SELECT id, user_id, kind, at, actor, operator, reason, ip, user_agent, \
                     device, place, detail, correlation FROM acctsec_activity \
                     WHERE user_id = $1 AND (at < $2 OR (at = $2 AND id < $3)) \
                     ORDER BY at DESC, id DESC LIMIT $4",
                )
                .bind(user.as_str())
                .bind(at)
                .bind(id)
                .bind(signed(limit as u64)?)
                .fetch_all(&self.pool)
                .await
                .map_err(db("page activity"))?;
                let events = rows
                    .into_iter()
                    .map(codec::event)
                    .collect::<Result<Vec<RecordedEvent>, _>>()?;
                Ok(ActivityPage::new(events, limit))
            }

            async fn purge_before(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM acctsec_activity WHERE id IN (SELECT id FROM acctsec_activity \
                     WHERE at < $1 ORDER BY at, id LIMIT $2)",
                )
                .bind(ms(before))
                .bind(signed(purge_batch_limit(limit) as u64)?)
                .execute(&self.pool)
                .await
                .map_err(db("purge activity"))?;
                Ok(done.rows_affected())
            }

            async fn forget_user(&self, user: &UserId, limit: usize) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM acctsec_activity WHERE id IN (SELECT id FROM acctsec_activity \
                     WHERE user_id = $1 LIMIT $2)",
                )
                .bind(user.as_str())
                .bind(signed(purge_batch_limit(limit) as u64)?)
                .execute(&self.pool)
                .await
                .map_err(db("forget activity"))?;
                Ok(done.rows_affected())
            }
        }

        impl ProfileStore for $store {
            async fn load(&self, user: &UserId) -> Result<Option<VersionedProfile>, StoreError> {
                let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT version, data FROM acctsec_profiles WHERE user_id = $1",
                )
                .bind(user.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("load profile"))?;
                row.map(|(version, data)| {
                    Ok(VersionedProfile::new(
                        unsigned(version, "profile version")?,
                        ProfileData::new(data).map_err(|_| codec::corrupt("profile"))?,
                    ))
                })
                .transpose()
            }

            async fn save(
                &self,
                user: &UserId,
                expected_version: Option<u64>,
                data: &ProfileData,
            ) -> Result<u64, StoreError> {
                let row: Option<(i64,)> = match expected_version {
                    None => sqlx::query_as(
                        "INSERT INTO acctsec_profiles (user_id, version, data) VALUES ($1, 1, $2) \
                         ON CONFLICT (user_id) DO NOTHING RETURNING version",
                    )
                    .bind(user.as_str())
                    .bind(data.as_bytes())
                    .fetch_optional(&self.pool)
                    .await,
                    Some(v) => sqlx::query_as(
                        "UPDATE acctsec_profiles SET data = $1, version = version + 1 \
                         WHERE user_id = $2 AND version = $3 RETURNING version",
                    )
                    .bind(data.as_bytes())
                    .bind(user.as_str())
                    .bind(signed(v)?)
                    .fetch_optional(&self.pool)
                    .await,
                }
                .map_err(db("save profile"))?;
                match row {
                    Some((version,)) => unsigned(version, "profile version"),
                    None => Err(StoreError::conflict("profile version moved on")),
                }
            }

            async fn remove(&self, user: &UserId) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM acctsec_profiles WHERE user_id = $1")
                    .bind(user.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(db("remove profile"))?;
                Ok(done.rows_affected() > 0)
            }
        }

        impl PasswordHistory for $store {
            async fn push(
                &self,
                user: &UserId,
                hash: &StoredPasswordHash,
                keep: usize,
                _now: Timestamp,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await.map_err(db("push history"))?;
                let lock: Option<&str> = $history_lock;
                if let Some(lock) = lock {
                    sqlx::query(lock)
                        .bind(user.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(db("push history"))?;
                }
                sqlx::query("INSERT INTO acctsec_password_history (user_id, hash) VALUES ($1, $2)")
                    .bind(user.as_str())
                    .bind(hash.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db("push history"))?;
                sqlx::query(
                    "DELETE FROM acctsec_password_history WHERE user_id = $1 AND seq NOT IN \
                     (SELECT seq FROM acctsec_password_history WHERE user_id = $1 \
                     ORDER BY seq DESC LIMIT $2)",
                )
                .bind(user.as_str())
                .bind(signed(password_history_limit(keep) as u64)?)
                .execute(&mut *tx)
                .await
                .map_err(db("push history"))?;
                tx.commit().await.map_err(db("push history"))?;
                Ok(())
            }

            async fn recent(
                &self,
                user: &UserId,
                limit: usize,
            ) -> Result<Vec<StoredPasswordHash>, StoreError> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT hash FROM acctsec_password_history WHERE user_id = $1 \
                     ORDER BY seq DESC LIMIT $2",
                )
                .bind(user.as_str())
                .bind(signed(password_history_limit(limit) as u64)?)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read history"))?;
                rows.into_iter()
                    .map(|(h,)| StoredPasswordHash::new(h).map_err(|_| codec::corrupt("password hash")))
                    .collect()
            }

            async fn forget(&self, user: &UserId) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM acctsec_password_history WHERE user_id = $1")
                    .bind(user.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(db("forget history"))?;
                Ok(done.rows_affected())
            }
        }

        impl Outbox for $store {
            async fn enqueue(
                &self,
                message: &OutboxMessage,
                now: Timestamp,
            ) -> Result<Enqueued, StoreError> {
                // Racing enqueues of one key: one inserts, the others find its row.
                let inserted: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO acctsec_outbox (idem_key, user_id, correlation, kind, recipient, \
                     content, enqueued_at, attempts, state, ready_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 'pending', $7) \
                     ON CONFLICT (idem_key) DO NOTHING RETURNING id",
                )
                .bind(message.key.as_str())
                .bind(message.user.as_ref().map(UserId::as_str))
                .bind(message.correlation.as_ref().map(|c| c.as_str()))
                .bind(message.kind.code())
                .bind(message.to.as_str())
                .bind(message.content.as_bytes())
                .bind(ms(now))
                .fetch_optional(&self.pool)
                .await
                .map_err(db("enqueue"))?;
                if let Some((id,)) = inserted {
                    return Ok(Enqueued::New(OutboxId(unsigned(id, "outbox id")?)));
                }
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM acctsec_outbox WHERE idem_key = $1")
                    .bind(message.key.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db("enqueue"))?;
                Ok(Enqueued::Duplicate(OutboxId(unsigned(id, "outbox id")?)))
            }

            async fn claim(
                &self,
                now: Timestamp,
                lease_for: Duration,
                limit: usize,
            ) -> Result<Vec<ClaimedMessage>, StoreError> {
                let until = now.saturating_add(lease_for);
                let mut tx = self.pool.begin().await.map_err(db("claim"))?;
                let select = format!(
                    "SELECT id FROM acctsec_outbox WHERE state IN ('pending', 'leased') \
                     AND ready_at <= $1 ORDER BY ready_at, id LIMIT $2{}",
                    $claim_lock
                );
                let due: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                    .bind(ms(now))
                    .bind(signed(outbox_claim_limit(limit) as u64)?)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db("claim"))?;
                let update = format!(
                    "UPDATE acctsec_outbox SET state = 'leased', ready_at = $1, \
                     attempts = attempts + 1 WHERE id = $2 RETURNING {OUTBOX_COLUMNS}"
                );
                let mut claimed = Vec::with_capacity(due.len());
                for (id,) in due {
                    let row: codec::OutboxRow = sqlx::query_as(sqlx::AssertSqlSafe(update.as_str()))
                        .bind(ms(until))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db("claim"))?;
                    let entry = codec::outbox_entry(row)?;
                    claimed.push(ClaimedMessage::new(
                        Lease::new(entry.id, entry.attempts, until),
                        entry.message,
                    ));
                }
                tx.commit().await.map_err(db("claim"))?;
                Ok(claimed)
            }

            async fn extend(&self, lease: &Lease, until: Timestamp) -> Result<Lease, StoreError> {
                let done = sqlx::query(
                    "UPDATE acctsec_outbox SET ready_at = $1 \
                     WHERE id = $2 AND attempts = $3 AND state = 'leased'",
                )
                .bind(ms(until))
                .bind(signed(lease.id.0)?)
                .bind(i64::from(lease.attempt))
                .execute(&self.pool)
                .await
                .map_err(db("extend lease"))?;
                lease_held(done.rows_affected())?;
                Ok(Lease::new(lease.id, lease.attempt, until))
            }

            async fn mark_sent(
                &self,
                lease: &Lease,
                receipt: &Detail,
                now: Timestamp,
            ) -> Result<(), StoreError> {
                self.settle_lease(
                    "state = 'sent', ready_at = NULL, finished_at = $1, receipt = $2",
                    now,
                    receipt,
                    lease,
                    "mark sent",
                )
                .await
            }

            async fn retry(&self, lease: &Lease, at: Timestamp, error: &Detail) -> Result<(), StoreError> {
                self.settle_lease(
                    "state = 'pending', ready_at = $1, last_error = $2",
                    at,
                    error,
                    lease,
                    "retry",
                )
                .await
            }

            async fn dead_letter(
                &self,
                lease: &Lease,
                reason: &Detail,
                now: Timestamp,
            ) -> Result<(), StoreError> {
                self.settle_lease(
                    "state = 'dead_lettered', ready_at = NULL, finished_at = $1, reason = $2",
                    now,
                    reason,
                    lease,
                    "dead-letter",
                )
                .await
            }

            async fn requeue(&self, id: OutboxId, now: Timestamp) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE acctsec_outbox SET state = 'pending', ready_at = $1, \
                     finished_at = NULL, reason = NULL WHERE id = $2 AND state = 'dead_lettered'",
                )
                .bind(ms(now))
                .bind(signed(id.0)?)
                .execute(&self.pool)
                .await
                .map_err(db("requeue"))?;
                if done.rows_affected() == 1 {
                    return Ok(true);
                }
                match Outbox::get(self, id).await? {
                    Some(_) => Err(StoreError::conflict("only a dead letter can be requeued")),
                    None => Ok(false),
                }
            }

            async fn record_delivery(
                &self,
                id: OutboxId,
                report: &DeliveryReport,
                now: Timestamp,
            ) -> Result<bool, StoreError> {
                let (state, reason) = match report {
                    DeliveryReport::Bounced(reason) => ("bounced", Some(reason.as_str().to_owned())),
                    _ => ("delivered", None),
                };
                let done = sqlx::query(
                    "UPDATE acctsec_outbox SET state = $1, finished_at = $2, reason = $3 \
                     WHERE id = $4 AND state IN ('sent', 'delivered', 'bounced')",
                )
                .bind(state)
                .bind(ms(now))
                .bind(reason)
                .bind(signed(id.0)?)
                .execute(&self.pool)
                .await
                .map_err(db("record delivery"))?;
                if done.rows_affected() == 1 {
                    return Ok(true);
                }
                match Outbox::get(self, id).await? {
                    Some(_) => Err(StoreError::conflict("a delivery report needs a sent message")),
                    None => Ok(false),
                }
            }

            async fn get(&self, id: OutboxId) -> Result<Option<OutboxEntry>, StoreError> {
                let sql = format!("SELECT {OUTBOX_COLUMNS} FROM acctsec_outbox WHERE id = $1");
                self.outbox_row(&sql, signed(id.0)?).await
            }

            async fn find_by_key(&self, key: &IdempotencyKey) -> Result<Option<OutboxEntry>, StoreError> {
                let row: Option<codec::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {OUTBOX_COLUMNS} FROM acctsec_outbox WHERE idem_key = $1"
                )))
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db("read outbox"))?;
                row.map(codec::outbox_entry).transpose()
            }

            async fn for_user(&self, user: &UserId, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
                let rows: Vec<codec::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {OUTBOX_COLUMNS} FROM acctsec_outbox WHERE user_id = $1 \
                     ORDER BY enqueued_at DESC, id DESC LIMIT $2"
                )))
                .bind(user.as_str())
                .bind(signed(outbox_page_limit(limit) as u64)?)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read outbox"))?;
                rows.into_iter().map(codec::outbox_entry).collect()
            }

            async fn dead_letters(
                &self,
                after: Option<OutboxId>,
                limit: usize,
            ) -> Result<Vec<OutboxEntry>, StoreError> {
                let after = match after {
                    Some(id) => signed(id.0)?,
                    None => -1,
                };
                let rows: Vec<codec::OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {OUTBOX_COLUMNS} FROM acctsec_outbox WHERE state = 'dead_lettered' \
                     AND id > $1 ORDER BY id LIMIT $2"
                )))
                .bind(after)
                .bind(signed(outbox_page_limit(limit) as u64)?)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read outbox"))?;
                rows.into_iter().map(codec::outbox_entry).collect()
            }

            async fn purge_finished(&self, before: Timestamp, limit: usize) -> Result<u64, StoreError> {
                let done = sqlx::query(
                    "DELETE FROM acctsec_outbox WHERE id IN (SELECT id FROM acctsec_outbox \
                     WHERE finished_at IS NOT NULL AND finished_at < $1 \
                     ORDER BY finished_at, id LIMIT $2)",
                )
                .bind(ms(before))
                .bind(signed(purge_batch_limit(limit) as u64)?)
                .execute(&self.pool)
                .await
                .map_err(db("purge outbox"))?;
                Ok(done.rows_affected())
            }
        }
    }; };
}

//! Judging, storing and changing passwords: what a reset and a change share.

use acctsec_core::rng::SystemRng;
use acctsec_core::{
    Account, AccountStore, Actor, ClientInfo, Clock, MAX_PASSWORD_BYTES, MemberDigest, MessageKind,
    Password, PasswordReplaced, SecurityEventKind, SecurityState, StoredPasswordHash, Timestamp,
    UserId,
};
use acctsec_policy::{Assessment, Context};
use minijinja::Value;
use sha2::{Digest, Sha256};

use super::{Flows, after_the_change, email_time, swapped};
use crate::config::{CHANGE_CEILING_WINDOW, CHANGE_FAILURE_CEILING, CHANGE_THROTTLE_WINDOW};
use crate::{Error, Result, keys};

/// The most characters of an anti-phishing phrase.
pub const MAX_PHRASE_CHARS: usize = 64;

/// What a password change did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordChanged {
    /// Whether every session of the account was ended — the current one too: re-issue it with
    /// the new epoch.
    pub sessions_ended: bool,
    /// The account's session epoch now.
    pub session_epoch: u64,
}

/// Whether the two entries of a new password are the same, compared through their SHA-256
/// digests in constant time, after checking neither is over the byte cap.
pub(super) fn entries_match(new: &Password, confirmation: &Password) -> Result<bool> {
    if new.expose().len() > MAX_PASSWORD_BYTES || confirmation.expose().len() > MAX_PASSWORD_BYTES {
        return Err(acctsec_policy::Error::PasswordTooLong.into());
    }
    let digest = |p: &Password| -> [u8; 32] { Sha256::digest(p.expose().as_bytes()).into() };
    Ok(acctsec_core::ct_eq_32(&digest(new), &digest(confirmation)))
}

impl<A, S, C> Flows<A, S, C>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
{
    /// Judges a new password for `account`: the policy (with the account's own words as context,
    /// and the breach oracle when configured) accepts it, and it is not the current password or
    /// one of the recent ones. Returns the hash to store. The entries were compared already.
    pub(super) async fn judge_new_password(
        &self,
        account: &Account,
        new: &Password,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<StoredPasswordHash> {
        let context = Context::new()
            .with_email(&account.email)
            .with_site_words(self.config.app_name())
            .with_second_factor(account.second_factor);
        let assessment: Assessment = match &self.breach {
            Some(oracle) => {
                self.policy
                    .evaluate_with_breach(new, &context, oracle, self.config.breach_failure())
                    .await?
            }
            None => self.policy.evaluate(new, &context)?,
        };
        if !assessment.accepted {
            return Err(Error::PasswordRejected(Box::new(assessment)));
        }
        let normalized = self.policy.normalize(new)?;
        if self.config.history() > 0 {
            let mut recent = self
                .state
                .recent(&account.id, self.config.history())
                .await?;
            recent.extend(account.password_hash.clone());
            // Verified side by side on the pool, whose permits bound the work at once.
            let mut checks = tokio::task::JoinSet::new();
            for old in recent {
                let (pool, candidate) = (self.hasher.clone(), normalized.clone());
                checks.spawn(async move { pool.verify(candidate, old).await });
            }
            let mut reused = false;
            while let Some(checked) = checks.join_next().await {
                match checked.map_err(|_| acctsec_hash::Error::WorkerFailed)? {
                    Ok(verdict) => reused |= verdict.is_valid(),
                    // A busy or failing hasher is an error: the check must not pass unmade.
                    Err(
                        e @ (acctsec_hash::Error::Busy
                        | acctsec_hash::Error::WorkerFailed
                        | acctsec_hash::Error::OutOfMemory
                        | acctsec_hash::Error::Randomness),
                    ) => return Err(e.into()),
                    // A stored hash this build cannot verify (an unsupported legacy format, a
                    // damaged row) cannot match; it is skipped.
                    Err(_) => {}
                }
            }
            if reused {
                let kind = SecurityEventKind::PasswordReuseRefused;
                self.record(&account.id, kind, now, client, |e| e).await?;
                return Err(Error::PasswordReused);
            }
        }
        Ok(self.hasher.hash(normalized, SystemRng).await?)
    }

    /// Replaces the account's hash — ending its sessions in the same step when configured — if
    /// it is still at the version it was read at. The "your password was changed" email is
    /// rendered first, so a broken template stops the change rather than its notice; after the
    /// change, the notice is queued first, then the account's reset links die, the old hash joins
    /// the history, the failure counters clear and the events are recorded — each step run, and
    /// logged if it fails, whatever the others did.
    pub(super) async fn replace_password(
        &self,
        account: &Account,
        hash: &StoredPasswordHash,
        kind: SecurityEventKind,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<PasswordReplaced> {
        let end_sessions = self.config.end_sessions();
        let mut values = self.common_values(account, client);
        values.insert("changed_at", Value::from(email_time(now)));
        values.insert("sessions_ended", Value::from(end_sessions));
        values.insert("not_me_link", Value::from(self.config.not_me_link()));
        let notice = self.render_message(
            "changed",
            MessageKind::PasswordChanged,
            &account.email,
            &values,
        )?;
        let replaced = swapped(
            self.accounts
                .replace_password_hash(&account.id, account.credential_version, hash, end_sessions)
                .await,
            Error::InvalidLink,
        )?;
        let id = &account.id;
        self.notify_and_revoke_resets(id, &notice, now).await;
        if let (Some(old), true) = (&account.password_hash, self.config.history() > 0) {
            after_the_change(
                "keep the old hash",
                self.state
                    .push(id, old, self.config.history(), now)
                    .await
                    .map_err(Error::from),
            );
        }
        for counter in [keys::sign_in_account(id), keys::change_ceiling(id)] {
            after_the_change(
                "clear counters",
                self.state.clear(&counter).await.map_err(Error::from),
            );
        }
        after_the_change("record", self.record(id, kind, now, client, |e| e).await);
        if end_sessions {
            let ended = SecurityEventKind::SessionsEnded;
            let by_system = |e: acctsec_core::SecurityEvent| e.with_actor(Actor::System);
            after_the_change(
                "record",
                self.record(id, ended, now, client, by_system).await,
            );
        }
        Ok(replaced)
    }

    /// A signed-in owner changes their password: the current one must be right (every attempt
    /// counts, 5 per 15 minutes per account and source; 100 distinct wrong ones close the form
    /// until a reset), and the new one passes the same checks as a reset. Then the same happens as after a reset: reset links die, sessions
    /// end (by default — the current one too, so re-issue it with the returned epoch), the owner
    /// is emailed.
    ///
    /// # Errors
    ///
    /// [`Error::ConfirmationMismatch`], [`Error::WrongPassword`], [`Error::Throttled`],
    /// [`Error::PasswordRejected`], [`Error::PasswordReused`], each changing nothing;
    /// [`Error::UnknownAccount`]; [`Error::InvalidLink`] if the password changed another way
    /// meanwhile; otherwise infrastructure errors.
    pub async fn change_password(
        &self,
        user: &UserId,
        current: &Password,
        new: &Password,
        confirmation: &Password,
        client: &ClientInfo,
    ) -> Result<PasswordChanged> {
        let now = self.clock.now();
        if !entries_match(new, confirmation)? {
            return Err(Error::ConfirmationMismatch);
        }
        let account = self.enabled_account(user).await?;
        self.check_current_password(&account, current, client, now)
            .await?;
        let hash = self.judge_new_password(&account, new, client, now).await?;
        let replaced = self
            .replace_password(
                &account,
                &hash,
                SecurityEventKind::PasswordChanged,
                client,
                now,
            )
            .await?;
        Ok(PasswordChanged {
            sessions_ended: self.config.end_sessions(),
            session_epoch: replaced.session_epoch,
        })
    }

    /// The owner chooses (or, with `None`, clears) an anti-phishing phrase, shown from now on in
    /// every email sent to the account's address — never in one to another address, nor on a
    /// page anyone can load without signing in (the host's part). At most
    /// [`MAX_PHRASE_CHARS`] characters of one line.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPhrase`] for an empty, over-long or multi-line phrase;
    /// [`Error::UnknownAccount`]; infrastructure errors.
    pub async fn set_anti_phishing_phrase(
        &self,
        user: &UserId,
        phrase: Option<&str>,
        client: &ClientInfo,
    ) -> Result<()> {
        let now = self.clock.now();
        let phrase = match phrase.map(str::trim) {
            None => None,
            Some("") => return Err(Error::InvalidPhrase("empty")),
            Some(p) if p.chars().count() > MAX_PHRASE_CHARS => {
                return Err(Error::InvalidPhrase("too long"));
            }
            Some(p) if p.chars().any(char::is_control) => {
                return Err(Error::InvalidPhrase("not one line"));
            }
            Some(p) => Some(acctsec_core::Detail::new(p)),
        };
        let account = self.enabled_account(user).await?;
        swapped(
            self.accounts
                .set_anti_phishing_phrase(&account.id, phrase.as_ref())
                .await,
            Error::UnknownAccount,
        )?;
        let kind = SecurityEventKind::AntiPhishingPhraseChanged;
        self.record(&account.id, kind, now, client, |e| e).await
    }

    /// The enabled account with this id.
    pub(super) async fn enabled_account(&self, user: &UserId) -> Result<Account> {
        self.accounts
            .find_by_id(user)
            .await?
            .filter(|a| !a.disabled)
            .ok_or(Error::UnknownAccount)
    }

    /// Checks the current password of a signed-in owner. Every attempt is counted first, per
    /// account and source (5 per 15 minutes: someone on another network is not slowed by it);
    /// distinct wrong passwords are counted per account from anywhere (a device retrying one
    /// stale password counts once), and past 100 the forms refuse until a reset clears it.
    pub(super) async fn check_current_password(
        &self,
        account: &Account,
        current: &Password,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<()> {
        let attempts = keys::change_attempts(&account.id, client);
        let ceiling = keys::change_ceiling(&account.id);
        let decision = self
            .state
            .record_and_decide(
                &attempts,
                self.config.change_attempts(),
                CHANGE_THROTTLE_WINDOW,
                now,
            )
            .await?;
        let wrong_so_far = self.state.distinct(&ceiling, now).await?;
        if !decision.is_allowed()
            || wrong_so_far.is_some_and(|c| c.distinct >= CHANGE_FAILURE_CEILING)
        {
            return Err(Error::Throttled);
        }
        let normalized = self.policy.normalize(current)?;
        let right = match &account.password_hash {
            Some(stored) => self
                .hasher
                .verify(normalized.clone(), stored.clone())
                .await?
                .is_valid(),
            None => {
                // The same work as a wrong password, then refused.
                let _ = self.hasher.verify_unknown(normalized.clone()).await?;
                false
            }
        };
        if right {
            self.state.clear(&attempts).await?;
            return Ok(());
        }
        // A keyed digest: the store never holds a guess, and nobody without the key can test
        // one against it.
        let guess = self.tokens.binding_key().bind(
            &account.id,
            &[b"wrong current password", normalized.expose().as_bytes()],
        );
        let member = MemberDigest::from_bytes(*guess.as_bytes());
        self.state
            .hit_distinct(&ceiling, &member, CHANGE_CEILING_WINDOW, now)
            .await?;
        Err(Error::WrongPassword)
    }
}

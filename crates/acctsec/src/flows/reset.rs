//! Forgot password: the request, the worker's half, the link's page, its completion and its
//! cancellation, and what support can do and see.

use acctsec_core::rng::SystemRng;
use acctsec_core::{
    Account, AccountStore, Actor, ClientInfo, Clock, CorrelationId, Detail, Email, IdempotencyKey,
    Message, MessageKind, OperatorId, OutboxState, Password, Purpose, SecurityEventKind,
    SecurityState, Timestamp, TokenDigest, UserId,
};
use minijinja::Value;

use super::password::entries_match;
use super::{Flows, email_time};
use crate::config::{MAX_REQUEST_AGE, RESET_FAILURES_PER_LINK, RESET_THROTTLE_WINDOW};
use crate::job::{Job, ResetJob};
use crate::{Error, Result, keys};

/// What [`Flows::request_password_reset`] answers: always this, whether the address has an
/// account, a disabled one, none, or was throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetRequested;

/// Whether a reset link may show its form ([`Flows::inspect_reset`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResetLink {
    /// It can be used until `expires_at`.
    Usable {
        /// When it stops working.
        expires_at: Timestamp,
    },
    /// It is invalid, expired, used, cancelled or superseded.
    Unusable,
}

/// What a completed reset did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResetCompleted {
    /// Whose password changed (nobody is signed in by it: send them to sign in).
    pub user: UserId,
    /// Whether every session of the account was ended.
    pub sessions_ended: bool,
    /// The account's session epoch now.
    pub session_epoch: u64,
}

/// One reset request as support sees it ([`Flows::reset_history`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResetAttempt {
    /// Ties the request to its email and events.
    pub correlation: Option<CorrelationId>,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// Who asked: the owner, or support (with the operator and reason).
    pub actor: Actor,
    /// From where.
    pub client: ClientInfo,
    /// Where its email is: pending, sent (with the mail server's receipt), delivered, bounced or
    /// given up on; `None` once the outbox purged it.
    pub mail: Option<OutboxState>,
    /// How many times sending was tried.
    pub attempts: u32,
    /// The last sending error, if any.
    pub last_error: Option<Detail>,
    /// The mail server's receipt, once it accepted the email.
    pub receipt: Option<Detail>,
}

/// The row prefix of reset requests: `reset:{correlation}`.
const RESET_ROW: &str = "reset";

/// A reset request that the worker turned into an email: whose it is, and what it was.
#[derive(Debug)]
pub(crate) struct PreparedReset {
    pub(crate) user: UserId,
    pub(crate) requested_at: Timestamp,
    pub(crate) actor: Actor,
    pub(crate) client: ClientInfo,
}

impl<A, S, C> Flows<A, S, C>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
{
    /// Someone forgot their password and typed `email`: records the request and queues it for
    /// the worker, which looks the address up, and sends a reset link only to an enabled account
    /// (and nothing otherwise).
    ///
    /// Whatever the address, the answer is [`ResetRequested`], after the same store operations
    /// — three throttle hits and one enqueue — in the same time: it tells no one whether the
    /// address has an account. Requests over a throttle (per address, per source, in all) are
    /// answered and queued the same way, marked so the worker sends nothing.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](acctsec_core::StoreError) if a store failed (the same for every
    /// address), [`Error::Randomness`] or [`Error::Seal`].
    pub async fn request_password_reset(
        &self,
        email: &Email,
        client: &ClientInfo,
    ) -> Result<ResetRequested> {
        let now = self.clock.now();
        let (per_address, per_source, global) = self.config.reset_limits();
        let counters = [
            (keys::reset_address(email), per_address),
            (keys::reset_source(client), per_source),
            (keys::reset_global(), global),
        ];
        // Every hit is recorded, whatever an earlier one decided: the same work on every path.
        let mut throttled = false;
        for (key, limit) in &counters {
            let decision = self
                .state
                .record_and_decide(key, *limit, RESET_THROTTLE_WINDOW, now)
                .await?;
            throttled |= !decision.is_allowed();
        }
        self.queue_reset(email, client, Actor::Owner, throttled, now)
            .await?;
        Ok(ResetRequested)
    }

    pub(super) async fn queue_reset(
        &self,
        email: &Email,
        client: &ClientInfo,
        actor: Actor,
        throttled: bool,
        now: Timestamp,
    ) -> Result<CorrelationId> {
        let correlation = self.new_correlation()?;
        let row = self.row(
            RESET_ROW,
            Some(&correlation),
            MessageKind::PasswordReset,
            email.clone(),
        )?;
        let job = Job::Reset(ResetJob {
            email: email.clone(),
            requested_at: now,
            client: client.clone(),
            actor,
            throttled,
        });
        self.enqueue(row, &job, now).await?;
        Ok(correlation)
    }

    /// The worker's half of a reset request: looks the address up and, for an enabled account,
    /// revokes its earlier links, mints a reset link and a cancel link bound to its credential
    /// version and email, records their digests and renders the email. `None` when nothing is to
    /// be sent (no enabled account, throttled, or the request is over a day old).
    pub(crate) async fn prepare_reset(
        &self,
        job: &ResetJob,
        now: Timestamp,
    ) -> Result<Option<(Message, PreparedReset)>> {
        let stale = job
            .requested_at
            .checked_add(MAX_REQUEST_AGE)
            .is_none_or(|t| now >= t);
        if job.throttled || stale {
            return Ok(None);
        }
        let account = match self.accounts.find_by_email(&job.email).await? {
            Some(account) if !account.disabled => account,
            _ => return Ok(None),
        };
        // One live link per account: this one replaces every earlier one (including the link
        // of an earlier attempt at this same email, which the server never accepted).
        for purpose in [Purpose::PASSWORD_RESET, Purpose::PASSWORD_RESET_CANCEL] {
            self.state.revoke_all(&account.id, &purpose).await?;
        }
        let link = self.mint(&account, &Purpose::PASSWORD_RESET, now).await?;
        let cancel = self
            .mint(&account, &Purpose::PASSWORD_RESET_CANCEL, now)
            .await?;
        let mut values = self.common_values(&account, &job.client);
        values.insert("requested_at", Value::from(email_time(job.requested_at)));
        values.insert("link", Value::from(self.config.reset_link(&link)));
        values.insert("revoke_link", Value::from(self.config.cancel_link(&cancel)));
        values.insert(
            "valid_minutes",
            Value::from(self.config.reset_ttl().as_secs().div_ceil(60)),
        );
        let message =
            self.render_message("reset", MessageKind::PasswordReset, &account.email, &values)?;
        let prepared = PreparedReset {
            user: account.id,
            requested_at: job.requested_at,
            actor: job.actor.clone(),
            client: job.client.clone(),
        };
        Ok(Some((message, prepared)))
    }

    /// Issues a `purpose` token for `account`, bound to its current state, records its digest and
    /// returns it (for the link).
    async fn mint(&self, account: &Account, purpose: &Purpose, now: Timestamp) -> Result<String> {
        let binding = self.tokens.binding_key().bind_account(account);
        let issued = self.tokens.issue(
            purpose,
            &account.id,
            &binding,
            self.config.reset_ttl(),
            now,
            &mut SystemRng,
        )?;
        self.state.insert(&issued.record(), now).await?;
        Ok(issued.token.expose().to_owned())
    }

    /// Whether a reset link may show its form: the token is authentic, unexpired, still on
    /// record (not used, cancelled or superseded) and bound to the account as it is now.
    /// Consumes nothing.
    ///
    /// Keep the token out of the page's URL once it arrives: store it in the session and
    /// redirect to a URL without it, and serve the form with `Referrer-Policy: no-referrer`, so
    /// it reaches neither the browser's history nor another site's logs.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](acctsec_core::StoreError) if a store failed.
    pub async fn inspect_reset(&self, token: &str) -> Result<ResetLink> {
        let now = self.clock.now();
        Ok(
            match self.live(token, &Purpose::PASSWORD_RESET, now).await? {
                Some((_, _, expires_at)) => ResetLink::Usable { expires_at },
                None => ResetLink::Unusable,
            },
        )
    }

    /// The account a live `purpose` token belongs to, its digest and when it expires: authentic,
    /// unexpired, on record for this account and purpose, and bound to the account as it is now.
    async fn live(
        &self,
        token: &str,
        purpose: &Purpose,
        now: Timestamp,
    ) -> Result<Option<(Account, TokenDigest, Timestamp)>> {
        let Ok(opened) = self.tokens.open(token, purpose, now) else {
            return Ok(None);
        };
        let Some(digest) = acctsec_token::digest(token) else {
            return Ok(None);
        };
        let Some(record) = self.state.peek(&digest, now).await? else {
            return Ok(None);
        };
        let Some(account) = self.accounts.find_by_id(&opened.claims().subject).await? else {
            return Ok(None);
        };
        if account.disabled || record.user != account.id || &record.purpose != purpose {
            return Ok(None);
        }
        let binding = self.tokens.binding_key().bind_account(&account);
        Ok(opened
            .check_binding(&binding)
            .ok()
            .map(|_| (account, digest, record.expires_at)))
    }

    /// Sets a new password through a reset link. `new` and `confirmation` are the two entries of
    /// the form. Nothing changes unless every check passes; then the link is used up (single
    /// use: of two concurrent completions exactly one succeeds), every other reset link of the
    /// account dies, the hash is replaced and — by default, in the same step — every session
    /// ends, failed-sign-in counters are cleared, the owner is emailed that the password changed
    /// (with a way to say it wasn't them), and the events are recorded. Nobody is signed in.
    ///
    /// A link allows 10 refused passwords (rejected by the policy, or recently used); the next
    /// attempt finds it used up, so it cannot be used to test guesses of the account's current
    /// and past passwords.
    ///
    /// # Errors
    ///
    /// [`Error::ConfirmationMismatch`], [`Error::PasswordRejected`] (with the policy's feedback)
    /// and [`Error::PasswordReused`], each changing nothing; [`Error::InvalidLink`] for a link
    /// that is not usable (as [`inspect_reset`](Self::inspect_reset) would say) or lost a race;
    /// otherwise infrastructure errors.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new: &Password,
        confirmation: &Password,
        client: &ClientInfo,
    ) -> Result<ResetCompleted> {
        let now = self.clock.now();
        let Some((account, digest, _)) = self.live(token, &Purpose::PASSWORD_RESET, now).await?
        else {
            return Err(Error::InvalidLink);
        };
        if !entries_match(new, confirmation)? {
            return Err(Error::ConfirmationMismatch);
        }
        let failures = keys::reset_failures(&digest);
        let refused = acctsec_core::ThrottleStore::get(&self.state, &failures, now).await?;
        if refused.is_some_and(|c| c.count >= RESET_FAILURES_PER_LINK) {
            self.state.take(&digest, now).await?;
            return Err(Error::InvalidLink);
        }
        let hash = match self.judge_new_password(&account, new, client, now).await {
            Ok(hash) => hash,
            Err(e @ (Error::PasswordRejected(_) | Error::PasswordReused)) => {
                self.state
                    .hit(&failures, self.config.reset_ttl(), now)
                    .await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        // Single use: of racing completions, one takes the record.
        if self.state.take(&digest, self.clock.now()).await?.is_none() {
            return Err(Error::InvalidLink);
        }
        let replaced = self
            .replace_password(
                &account,
                &hash,
                SecurityEventKind::PasswordResetCompleted,
                client,
                now,
            )
            .await?;
        Ok(ResetCompleted {
            user: account.id,
            sessions_ended: self.config.end_sessions(),
            session_epoch: replaced.session_epoch,
        })
    }

    /// Cancels a reset request from the cancel link in its email ("this wasn't me"): the
    /// account's reset links stop working. The cancel link is a token of its own, so it cannot
    /// be used to set a password. Returns whether there was a live request to cancel. Call it
    /// from the page's form post, never from following the link.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](acctsec_core::StoreError) if a store failed.
    pub async fn cancel_reset(&self, token: &str, client: &ClientInfo) -> Result<bool> {
        let now = self.clock.now();
        let purpose = Purpose::PASSWORD_RESET_CANCEL;
        let Some((account, digest, _)) = self.live(token, &purpose, now).await? else {
            return Ok(false);
        };
        if self.state.take(&digest, now).await?.is_none() {
            return Ok(false);
        }
        let revoked = self
            .state
            .revoke_all(&account.id, &Purpose::PASSWORD_RESET)
            .await?;
        let kind = SecurityEventKind::PasswordResetRevoked;
        self.record(&account.id, kind, now, client, |e| e).await?;
        Ok(revoked > 0)
    }

    /// Support sends the owner a reset link, when the first email never came. The operator sees
    /// no link and sets no password; the owner's activity shows who did it and why. Returns the
    /// request's correlation id, for [`reset_history`](Self::reset_history).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownAccount`] for an unknown or disabled account; infrastructure errors.
    pub async fn send_reset_for_support(
        &self,
        user: &UserId,
        operator: &OperatorId,
        reason: &str,
    ) -> Result<CorrelationId> {
        let now = self.clock.now();
        let account = self.enabled_account(user).await?;
        let actor = Actor::Support {
            operator: operator.clone(),
            reason: Detail::new(reason),
        };
        let nowhere = ClientInfo::new();
        let correlation = self
            .queue_reset(&account.email, &nowhere, actor.clone(), false, now)
            .await?;
        let kind = SecurityEventKind::SupportAction;
        self.record(&account.id, kind, now, &nowhere, |e| {
            e.with_actor(actor)
                .with_detail(Detail::new("sent a password-reset link"))
                .with_correlation(correlation.clone())
        })
        .await?;
        Ok(correlation)
    }

    /// What happened to an account's recent reset requests, newest first: who asked, when, from
    /// where, and where each email is (pending with its last error, sent with the mail server's
    /// receipt, delivered, bounced, or given up on) — support's answer to "the email never
    /// came". Reads the newest `limit` events of the account (at most 100).
    ///
    /// # Errors
    ///
    /// A [`StoreError`](acctsec_core::StoreError) if a store failed.
    pub async fn reset_history(&self, user: &UserId, limit: usize) -> Result<Vec<ResetAttempt>> {
        let page = self.state.page(user, None, limit).await?;
        let mut attempts = Vec::new();
        for recorded in page.events {
            let event = recorded.event;
            if event.kind != SecurityEventKind::PasswordResetRequested {
                continue;
            }
            let entry = match &event.correlation {
                Some(c) => {
                    let key = IdempotencyKey::new(format!("{RESET_ROW}:{c}"))
                        .map_err(|_| Error::Corrupt)?;
                    self.state.find_by_key(&key).await?
                }
                None => None,
            };
            attempts.push(ResetAttempt {
                correlation: event.correlation,
                requested_at: event.at,
                actor: event.actor,
                client: event.client,
                attempts: entry.as_ref().map_or(0, |e| e.attempts),
                last_error: entry.as_ref().and_then(|e| e.last_error.clone()),
                receipt: entry.as_ref().and_then(|e| e.receipt.clone()),
                mail: entry.map(|e| e.state),
            });
        }
        Ok(attempts)
    }

    /// Records a reset email's final outcome in the owner's activity: the request, then that the
    /// server accepted the email (`sent`, with its receipt) or that it was given up on.
    pub(crate) async fn record_reset_outcome(
        &self,
        reset: &PreparedReset,
        correlation: Option<&CorrelationId>,
        sent: bool,
        detail: &Detail,
        now: Timestamp,
    ) -> Result<()> {
        let with_correlation = |e: acctsec_core::SecurityEvent| match correlation {
            Some(c) => e.with_correlation(c.clone()),
            None => e,
        };
        let requested = SecurityEventKind::PasswordResetRequested;
        self.record(
            &reset.user,
            requested,
            reset.requested_at,
            &reset.client,
            |e| with_correlation(e.with_actor(reset.actor.clone())),
        )
        .await?;
        let outcome = if sent {
            SecurityEventKind::PasswordResetSent
        } else {
            SecurityEventKind::PasswordResetFailed
        };
        self.record(&reset.user, outcome, now, &ClientInfo::new(), |e| {
            with_correlation(e.with_actor(Actor::System).with_detail(detail.clone()))
        })
        .await
    }
}

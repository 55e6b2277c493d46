//! [`Flows`]: forgot password, password change and the support tools, over the host's accounts,
//! acctsec's state and a clock.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use acctsec_core::rng::{SystemRng, TryCryptoRng};
use acctsec_core::{
    Account, AccountStore, Actor, ClientInfo, Clock, CorrelationId, Detail, Email, IdempotencyKey,
    Message, MessageKind, OperatorId, OutboxMessage, OutboxState, Password, Purpose, SealedContent,
    SecurityEvent, SecurityEventKind, SecurityState, StoreError, StoredPasswordHash, SystemClock,
    Timestamp, UserId,
};
use acctsec_hash::{HashPool, Hasher};
use acctsec_policy::{Assessment, BreachOracle, Breached, Context, Policy};
use acctsec_token::Tokens;
use minijinja::Value;

use crate::config::{Config, RESET_THROTTLE_WINDOW};
use crate::job::{Job, ResetJob};
use crate::seal::MailSeal;
use crate::templates::Templates;
use crate::{Error, Result, keys};

mod email_change;

pub use email_change::{EmailChangeRequested, EmailChangeUndone, EmailChanged};

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

/// A breach oracle behind a box, so [`Flows`] need not name its type.
trait DynOracle: Send + Sync {
    fn check_boxed<'a>(
        &'a self,
        sha1: &'a [u8; 20],
    ) -> Pin<Box<dyn Future<Output = acctsec_policy::Result<Breached>> + Send + 'a>>;
}

impl<O: BreachOracle> DynOracle for O {
    fn check_boxed<'a>(
        &'a self,
        sha1: &'a [u8; 20],
    ) -> Pin<Box<dyn Future<Output = acctsec_policy::Result<Breached>> + Send + 'a>> {
        Box::pin(self.check(sha1))
    }
}

struct BoxedOracle(Box<dyn DynOracle>);

impl BreachOracle for BoxedOracle {
    async fn check(&self, sha1: &[u8; 20]) -> acctsec_policy::Result<Breached> {
        self.0.check_boxed(sha1).await
    }
}

/// The account-security flows over the host's `accounts`, acctsec's `state` (any
/// [`SecurityState`]), a clock and a random number generator.
///
/// Every email goes through the outbox: a flow seals and enqueues, and the
/// [`OutboxWorker`](crate::OutboxWorker) sends. A reset request does not even look the address
/// up: the worker does, so a request for a known address and one for an unknown address run the
/// same code, with the same store operations, in the same time.
pub struct Flows<A, S, C = SystemClock, R = SystemRng> {
    accounts: A,
    state: S,
    clock: C,
    rng: R,
    hasher: HashPool,
    policy: Policy,
    tokens: Tokens,
    seal: MailSeal,
    templates: Templates,
    config: Config,
    breach: Option<BoxedOracle>,
}

impl<A, S, C, R> std::fmt::Debug for Flows<A, S, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flows")
            .field("config", &self.config)
            .field("breach_check", &self.breach.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds [`Flows`]: the required parts are arguments, the rest have secure defaults.
pub struct FlowsBuilder<A, S, C = SystemClock, R = SystemRng> {
    accounts: A,
    state: S,
    clock: C,
    rng: R,
    parts: Parts,
}

/// What a builder holds besides its type parameters.
struct Parts {
    hasher: Option<HashPool>,
    policy: Policy,
    tokens: Tokens,
    seal: MailSeal,
    templates: Templates,
    config: Config,
    breach: Option<BoxedOracle>,
}

impl<A, S, C, R> std::fmt::Debug for FlowsBuilder<A, S, C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowsBuilder")
            .field("config", &self.parts.config)
            .finish_non_exhaustive()
    }
}

impl<A, S, C, R> FlowsBuilder<A, S, C, R> {
    /// The clock (default: the system's).
    #[must_use]
    pub fn with_clock<C2: Clock>(self, clock: C2) -> FlowsBuilder<A, S, C2, R> {
        FlowsBuilder {
            accounts: self.accounts,
            state: self.state,
            clock,
            rng: self.rng,
            parts: self.parts,
        }
    }

    /// The random number generator (default: the operating system's). It is cloned for every
    /// use, so its clones must draw independent values.
    #[must_use]
    pub fn with_rng<R2>(self, rng: R2) -> FlowsBuilder<A, S, C, R2> {
        FlowsBuilder {
            accounts: self.accounts,
            state: self.state,
            clock: self.clock,
            rng,
            parts: self.parts,
        }
    }

    /// The hashing pool (default: OWASP's argon2id parameters, one permit per CPU).
    #[must_use]
    pub fn with_hasher(mut self, hasher: HashPool) -> Self {
        self.parts.hasher = Some(hasher);
        self
    }

    /// The password policy (default: [`Policy::default`], NIST SP 800-63B-4).
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.parts.policy = policy;
        self
    }

    /// The email templates (default: the built-in English ones).
    #[must_use]
    pub fn with_templates(mut self, templates: Templates) -> Self {
        self.parts.templates = templates;
        self
    }

    /// Checks new passwords against breach data; [`Config::breach_failure`] says what happens
    /// when it cannot answer.
    #[must_use]
    pub fn with_breach_oracle<O: BreachOracle + 'static>(mut self, oracle: O) -> Self {
        self.parts.breach = Some(BoxedOracle(Box::new(oracle)));
        self
    }

    /// The flows.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the tokens' maximum lifetime is shorter than a link the
    /// configuration asks for (the email-change undo link lasts days: build the tokens with
    /// [`TokensBuilder::with_max_lifetime`](acctsec_token::TokensBuilder::with_max_lifetime));
    /// [`Error::Hash`] if the default hashing pool could not be built.
    pub fn build(self) -> Result<Flows<A, S, C, R>> {
        let Parts {
            hasher,
            policy,
            tokens,
            seal,
            templates,
            config,
            breach,
        } = self.parts;
        let longest = config
            .email_undo_ttl()
            .max(config.email_confirm_ttl())
            .max(config.reset_ttl());
        if tokens.max_lifetime() < longest {
            return Err(Error::InvalidConfig(
                "the tokens' maximum lifetime is shorter than the longest link's",
            ));
        }
        let hasher = match hasher {
            Some(pool) => pool,
            None => HashPool::builder(Hasher::new()?).build()?,
        };
        Ok(Flows {
            accounts: self.accounts,
            state: self.state,
            clock: self.clock,
            rng: self.rng,
            hasher,
            policy,
            tokens,
            seal,
            templates,
            config,
            breach,
        })
    }
}

impl<A, S> Flows<A, S> {
    /// Starts building flows over the host's `accounts` and acctsec's `state`, with the token
    /// keys, the mail seal key and the configuration.
    #[must_use]
    pub fn builder(
        accounts: A,
        state: S,
        tokens: Tokens,
        seal: MailSeal,
        config: Config,
    ) -> FlowsBuilder<A, S> {
        FlowsBuilder {
            accounts,
            state,
            clock: SystemClock,
            rng: SystemRng,
            parts: Parts {
                hasher: None,
                policy: Policy::default(),
                tokens,
                seal,
                templates: Templates::built_in(),
                config,
                breach: None,
            },
        }
    }
}

/// The reset kinds of event [`Flows::reset_history`] reads.
const RESET_REQUESTED: SecurityEventKind = SecurityEventKind::PasswordResetRequested;

/// The idempotency key of a reset request's outbox row.
fn reset_key(correlation: &CorrelationId) -> Result<IdempotencyKey> {
    IdempotencyKey::new(format!("reset:{correlation}")).map_err(|_| Error::Corrupt)
}

/// The outcome of a compare-and-swap on an account: its value, [`Error::UnknownAccount`] when
/// the account is gone, `lost` when the swap lost to another change.
fn swapped<T>(result: std::result::Result<Option<T>, StoreError>, lost: Error) -> Result<T> {
    match result {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(Error::UnknownAccount),
        Err(e) if e.is_conflict() => Err(lost),
        Err(e) => Err(e.into()),
    }
}

/// A time as emails show it (UTC, to the minute).
fn email_time(at: Timestamp) -> String {
    let text = at.to_string();
    // RFC 3339 `YYYY-MM-DDTHH:MM:SS…Z` → `YYYY-MM-DD HH:MM UTC`.
    match (text.get(..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
    }
}

impl<A, S, C, R> Flows<A, S, C, R>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
    R: TryCryptoRng + Clone + Send + Sync + 'static,
{
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// acctsec's state.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The host's accounts.
    pub fn accounts(&self) -> &A {
        &self.accounts
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    pub(crate) fn seal(&self) -> &MailSeal {
        &self.seal
    }

    pub(crate) fn rng(&self) -> R {
        self.rng.clone()
    }

    /// A fresh random correlation id (128 bits, hex).
    fn new_correlation(&self) -> Result<CorrelationId> {
        let mut bytes = [0_u8; 16];
        self.rng()
            .try_fill_bytes(&mut bytes)
            .map_err(|_| Error::Randomness)?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        CorrelationId::new(hex).map_err(|_| Error::Corrupt)
    }

    /// Seals `job` into an outbox row and enqueues it.
    async fn enqueue(&self, mut row: OutboxMessage, job: &Job, now: Timestamp) -> Result<()> {
        let plain = job.encode()?;
        row.content = self.seal.seal(&row, &plain, &mut self.rng())?;
        self.state.enqueue(&row, now).await?;
        Ok(())
    }

    /// Starts a row; its content is set by [`enqueue`](Self::enqueue).
    fn row(key: IdempotencyKey, kind: MessageKind, to: Email) -> Result<OutboxMessage> {
        // A one-byte placeholder, replaced by the sealed content before the row is stored.
        let placeholder = SealedContent::new(vec![0]).map_err(|_| Error::Corrupt)?;
        Ok(OutboxMessage::new(key, kind, to, placeholder))
    }

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
        // Every hit is recorded, whatever an earlier one decided: the same work on every path.
        let address = self
            .state
            .record_and_decide(
                &keys::reset_address(email),
                per_address,
                RESET_THROTTLE_WINDOW,
                now,
            )
            .await?;
        let source = self
            .state
            .record_and_decide(
                &keys::reset_source(client),
                per_source,
                RESET_THROTTLE_WINDOW,
                now,
            )
            .await?;
        let all = self
            .state
            .record_and_decide(&keys::reset_global(), global, RESET_THROTTLE_WINDOW, now)
            .await?;
        let throttled = !(address.is_allowed() && source.is_allowed() && all.is_allowed());
        self.queue_reset(email, client, Actor::Owner, throttled, now)
            .await?;
        Ok(ResetRequested)
    }

    async fn queue_reset(
        &self,
        email: &Email,
        client: &ClientInfo,
        actor: Actor,
        throttled: bool,
        now: Timestamp,
    ) -> Result<CorrelationId> {
        let correlation = self.new_correlation()?;
        let row = Self::row(
            reset_key(&correlation)?,
            MessageKind::PasswordReset,
            email.clone(),
        )?
        .with_correlation(correlation.clone());
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
    /// revokes its earlier links, mints one bound to its credential version and email, records
    /// its digest and renders the email. `None` (with why) when nothing is to be sent.
    pub(crate) async fn prepare_reset(
        &self,
        job: &ResetJob,
        correlation: Option<&CorrelationId>,
        first_attempt: bool,
        now: Timestamp,
    ) -> Result<std::result::Result<(Message, UserId), &'static str>> {
        if job.throttled {
            return Ok(Err("nothing sent: the request was throttled"));
        }
        let account = match self.accounts.find_by_email(&job.email).await? {
            Some(account) if !account.disabled => account,
            _ => return Ok(Err("nothing sent: no enabled account has this address")),
        };
        if first_attempt {
            let mut event = SecurityEvent::new(
                account.id.clone(),
                RESET_REQUESTED,
                job.requested_at,
                job.client.clone(),
            )
            .with_actor(job.actor.clone());
            if let Some(c) = correlation {
                event = event.with_correlation(c.clone());
            }
            self.state.append(&event).await?;
        }
        // One live link per account: this one replaces every earlier one (including the link
        // of an earlier attempt at this same email, which was never accepted by the server).
        self.state
            .revoke_all(&account.id, &Purpose::PASSWORD_RESET)
            .await?;
        let binding = self.tokens.binding_key().bind_account(&account);
        let issued = self.tokens.issue(
            &Purpose::PASSWORD_RESET,
            &account.id,
            &binding,
            self.config.reset_ttl(),
            now,
            &mut self.rng(),
        )?;
        self.state.insert(&issued.record(), now).await?;
        let token = issued.token.expose();
        let mut values = self.common_values(&account, &job.client);
        values.insert("requested_at", Value::from(email_time(job.requested_at)));
        values.insert("link", Value::from(self.config.reset_link(token)));
        values.insert("revoke_link", Value::from(self.config.cancel_link(token)));
        values.insert(
            "valid_minutes",
            Value::from(self.config.reset_ttl().as_secs().div_ceil(60)),
        );
        let message =
            self.render_message("reset", MessageKind::PasswordReset, &account.email, &values)?;
        Ok(Ok((message, account.id)))
    }

    /// The values every email has.
    fn common_values(
        &self,
        account: &Account,
        client: &ClientInfo,
    ) -> BTreeMap<&'static str, Value> {
        let mut values = BTreeMap::new();
        values.insert("app_name", Value::from(self.config.app_name()));
        values.insert("email", Value::from(account.email.as_str()));
        values.insert(
            "place",
            Value::from(client.place().map(|p| p.as_str().to_owned())),
        );
        values.insert(
            "device",
            Value::from(client.user_agent().map(|ua| ua.as_str().to_owned())),
        );
        values.insert("phrase", Value::from(None::<String>));
        values
    }

    /// Renders the email `name` to `to`.
    fn render_message(
        &self,
        name: &str,
        kind: MessageKind,
        to: &Email,
        values: &BTreeMap<&'static str, Value>,
    ) -> Result<Message> {
        let rendered = self.templates.render(name, values)?;
        Message::new(kind, to.clone(), rendered.subject, rendered.text)
            .and_then(|m| m.with_html(rendered.html))
            .map_err(|_| Error::MessageTooLarge)
    }

    /// Queues a rendered message about `user`, sealed.
    async fn enqueue_message(
        &self,
        key: IdempotencyKey,
        user: &UserId,
        message: &Message,
        now: Timestamp,
    ) -> Result<()> {
        let row = Self::row(key, message.kind(), message.to().clone())?.with_user(user.clone());
        let job = Job::Mail {
            subject: message.subject().to_owned(),
            text: message.text().to_owned(),
            html: message.html().unwrap_or_default().to_owned(),
        };
        self.enqueue(row, &job, now).await
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
        Ok(match self.live_reset(token, now).await? {
            Some((_, expires_at)) => ResetLink::Usable { expires_at },
            None => ResetLink::Unusable,
        })
    }

    /// The account a live reset token belongs to, and when the token expires.
    async fn live_reset(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<(Account, Timestamp)>> {
        let Ok(opened) = self.tokens.open(token, &Purpose::PASSWORD_RESET, now) else {
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
        if account.disabled || record.user != account.id {
            return Ok(None);
        }
        let binding = self.tokens.binding_key().bind_account(&account);
        Ok(opened
            .check_binding(&binding)
            .ok()
            .map(|_| (account, record.expires_at)))
    }

    /// Judges a new password for `account`: the two entries match, the policy (with the
    /// account's own words as context, and the breach oracle when configured) accepts it, and it
    /// is not the current password or one of the recent ones. Returns the hash to store.
    async fn judge_new_password(
        &self,
        account: &Account,
        new: &Password,
        confirmation: &Password,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<StoredPasswordHash> {
        if !acctsec_core::ct_eq_32(&digest_of(new), &digest_of(confirmation)) {
            return Err(Error::ConfirmationMismatch);
        }
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
            for old in recent {
                // A stored hash this build cannot verify (an unsupported legacy format) cannot
                // match; it is skipped, not an error.
                if let Ok(verdict) = self.hasher.verify(normalized.clone(), old).await
                    && verdict.is_valid()
                {
                    let event = SecurityEvent::new(
                        account.id.clone(),
                        SecurityEventKind::PasswordReuseRefused,
                        now,
                        client.clone(),
                    );
                    self.state.append(&event).await?;
                    return Err(Error::PasswordReused);
                }
            }
        }
        Ok(self.hasher.hash(normalized, self.rng()).await?)
    }

    /// Stores the new hash (ending sessions in the same step when configured), then revokes the
    /// account's reset links, keeps the old hash in its history, clears its failed-sign-in
    /// counter, records `kind` and queues the "your password was changed" email.
    async fn replace_password(
        &self,
        account: &Account,
        hash: &StoredPasswordHash,
        kind: SecurityEventKind,
        client: &ClientInfo,
        now: Timestamp,
    ) -> Result<acctsec_core::PasswordReplaced> {
        let end_sessions = self.config.end_sessions();
        let replaced = swapped(
            self.accounts
                .replace_password_hash(&account.id, account.credential_version, hash, end_sessions)
                .await,
            Error::InvalidLink,
        )?;
        self.state
            .revoke_all(&account.id, &Purpose::PASSWORD_RESET)
            .await?;
        if let (Some(old), true) = (&account.password_hash, self.config.history() > 0) {
            self.state
                .push(&account.id, old, self.config.history(), now)
                .await?;
        }
        self.state
            .clear(&keys::sign_in_account(&account.id))
            .await?;
        self.state
            .append(&SecurityEvent::new(
                account.id.clone(),
                kind,
                now,
                client.clone(),
            ))
            .await?;
        if end_sessions {
            let event = SecurityEvent::new(
                account.id.clone(),
                SecurityEventKind::SessionsEnded,
                now,
                client.clone(),
            )
            .with_actor(Actor::System);
            self.state.append(&event).await?;
        }
        let mut values = self.common_values(account, client);
        values.insert("changed_at", Value::from(email_time(now)));
        values.insert("sessions_ended", Value::from(end_sessions));
        values.insert("not_me_link", Value::from(self.config.not_me_link()));
        let message = self.render_message(
            "changed",
            MessageKind::PasswordChanged,
            &account.email,
            &values,
        )?;
        let key = IdempotencyKey::new(format!("changed:{}", self.new_correlation()?))
            .map_err(|_| Error::Corrupt)?;
        self.enqueue_message(key, &account.id, &message, now)
            .await?;
        Ok(replaced)
    }

    /// Sets a new password through a reset link. `new` and `confirmation` are the two entries of
    /// the form. Nothing changes unless every check passes; then the link is used up (single
    /// use: of two concurrent completions exactly one succeeds), every other reset link of the
    /// account dies, the hash is replaced and — by default, in the same step — every session
    /// ends, failed-sign-in counters are cleared, the owner is emailed that the password changed
    /// (with a way to say it wasn't them), and the events are recorded. Nobody is signed in.
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
        let Some((account, _)) = self.live_reset(token, now).await? else {
            return Err(Error::InvalidLink);
        };
        let hash = self
            .judge_new_password(&account, new, confirmation, client, now)
            .await?;
        let digest = acctsec_token::digest(token).ok_or(Error::InvalidLink)?;
        // Single use: of racing completions, one takes the record.
        match self.state.take(&digest, self.clock.now()).await? {
            Some(record) if record.user == account.id => {}
            _ => return Err(Error::InvalidLink),
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

    /// Cancels a reset request from the link in its email ("this wasn't me"): the link stops
    /// working. Returns whether there was a live link to cancel. Call it from the page's form
    /// post, never from following the link.
    ///
    /// # Errors
    ///
    /// A [`StoreError`](acctsec_core::StoreError) if a store failed.
    pub async fn cancel_reset(&self, token: &str, client: &ClientInfo) -> Result<bool> {
        let now = self.clock.now();
        let Some((account, _)) = self.live_reset(token, now).await? else {
            return Ok(false);
        };
        let Some(digest) = acctsec_token::digest(token) else {
            return Ok(false);
        };
        if self.state.take(&digest, now).await?.is_none() {
            return Ok(false);
        }
        let event = SecurityEvent::new(
            account.id,
            SecurityEventKind::PasswordResetRevoked,
            now,
            client.clone(),
        );
        self.state.append(&event).await?;
        Ok(true)
    }

    /// A signed-in owner changes their password: the current one must be right (wrong ones are
    /// throttled per account), and the new one passes the same checks as a reset. Then the same
    /// happens as after a reset: reset links die, sessions end (by default — the current one
    /// too, so re-issue it with the returned epoch), the owner is emailed.
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
        if !acctsec_core::ct_eq_32(&digest_of(new), &digest_of(confirmation)) {
            return Err(Error::ConfirmationMismatch);
        }
        let account = self.enabled_account(user).await?;
        self.check_current_password(&account, current, now).await?;
        let hash = self
            .judge_new_password(&account, new, confirmation, client, now)
            .await?;
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
        let correlation = self
            .queue_reset(
                &account.email,
                &ClientInfo::new(),
                actor.clone(),
                false,
                now,
            )
            .await?;
        let event = SecurityEvent::new(
            account.id,
            SecurityEventKind::SupportAction,
            now,
            ClientInfo::new(),
        )
        .with_actor(actor)
        .with_detail(Detail::new("sent a password-reset link"))
        .with_correlation(correlation.clone());
        self.state.append(&event).await?;
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
            if event.kind != RESET_REQUESTED {
                continue;
            }
            let entry = match &event.correlation {
                Some(c) => self.state.find_by_key(&reset_key(c)?).await?,
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

    /// Records a reset email's outcome in the owner's activity.
    pub(crate) async fn record_reset_outcome(
        &self,
        user: &UserId,
        correlation: Option<&CorrelationId>,
        kind: SecurityEventKind,
        detail: &Detail,
        now: Timestamp,
    ) -> Result<()> {
        let mut event = SecurityEvent::new(user.clone(), kind, now, ClientInfo::new())
            .with_actor(Actor::System)
            .with_detail(detail.clone());
        if let Some(c) = correlation {
            event = event.with_correlation(c.clone());
        }
        self.state.append(&event).await?;
        Ok(())
    }
}

/// A SHA-256 of a password, to compare two entries in constant time; wiped after use by the
/// caller's comparison (it never leaves this module).
fn digest_of(password: &Password) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(password.expose().as_bytes()).into()
}

//! [`Flows`]: forgot password, password change and the support tools, over the host's accounts,
//! acctsec's state and a clock.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use acctsec_core::rng::{SystemRng, TryRng};
use acctsec_core::{
    Account, AccountStore, ClientInfo, Clock, CorrelationId, Email, Enqueued, IdempotencyKey,
    Message, MessageKind, OutboxMessage, SealedContent, SecurityEvent, SecurityEventKind,
    SecurityState, StoreError, SystemClock, Timestamp, UserId,
};
use acctsec_hash::{HashPool, Hasher};
use acctsec_policy::{BreachOracle, Breached, Policy};
use acctsec_token::Tokens;
use minijinja::Value;
use tracing::error;

use crate::config::Config;
use crate::job::Job;
use crate::seal::MailSeal;
use crate::templates::Templates;
use crate::{Error, Result, device};

mod email_change;
mod password;
mod reset;

pub use email_change::{EmailChangeRequested, EmailChangeUndone, EmailChanged};
pub use password::{MAX_PHRASE_CHARS, PasswordChanged};
pub(crate) use reset::PreparedReset;
pub use reset::{ResetAttempt, ResetCompleted, ResetLink, ResetRequested};

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
/// [`SecurityState`]) and a clock. Randomness (link nonces, salts, seal nonces, ids) comes from
/// the operating system's generator, [`SystemRng`]: a seedable generator handed in could be
/// copied, and two copies would repeat each other's nonces.
///
/// Every email goes through the outbox: a flow seals and enqueues, and the
/// [`OutboxWorker`](crate::OutboxWorker) sends. A reset request does not even look the address
/// up: the worker does, so a request for a known address and one for an unknown address run the
/// same code, with the same store operations, in the same time.
pub struct Flows<A, S, C = SystemClock> {
    accounts: A,
    state: S,
    clock: C,
    hasher: HashPool,
    policy: Policy,
    tokens: Tokens,
    seal: MailSeal,
    templates: Templates,
    config: Config,
    breach: Option<BoxedOracle>,
}

impl<A, S, C> std::fmt::Debug for Flows<A, S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flows")
            .field("config", &self.config)
            .field("breach_check", &self.breach.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds [`Flows`]: the required parts are arguments, the rest have secure defaults.
pub struct FlowsBuilder<A, S, C = SystemClock> {
    accounts: A,
    state: S,
    clock: C,
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

impl<A, S, C> std::fmt::Debug for FlowsBuilder<A, S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowsBuilder")
            .field("config", &self.parts.config)
            .finish_non_exhaustive()
    }
}

impl<A, S, C> FlowsBuilder<A, S, C> {
    /// The clock (default: the system's).
    #[must_use]
    pub fn with_clock<C2: Clock>(self, clock: C2) -> FlowsBuilder<A, S, C2> {
        FlowsBuilder {
            accounts: self.accounts,
            state: self.state,
            clock,
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
    pub fn build(self) -> Result<Flows<A, S, C>> {
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

/// Logs a step that failed after the change it follows was made: the change stands, and the
/// remaining steps still run.
fn after_the_change<T>(step: &'static str, result: Result<T>) {
    if let Err(e) = result {
        error!(step, error = %e, "a step after a committed change failed");
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

/// `n` random bytes from the operating system, as hex.
fn random_hex(n: usize) -> Result<String> {
    let mut bytes = vec![0_u8; n];
    SystemRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| Error::Randomness)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl<A, S, C> Flows<A, S, C>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
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

    /// A fresh random correlation id (128 bits, hex).
    fn new_correlation(&self) -> Result<CorrelationId> {
        CorrelationId::new(random_hex(16)?).map_err(|_| Error::Corrupt)
    }

    /// Seals `job` into an outbox row and enqueues it. The row's key is fresh and random, so
    /// finding it taken means the generator or the store is broken.
    async fn enqueue(&self, mut row: OutboxMessage, job: &Job, now: Timestamp) -> Result<()> {
        let plain = job.encode()?;
        row.content = self.seal.seal(&row, &plain, &mut SystemRng)?;
        match self.state.enqueue(&row, now).await? {
            Enqueued::New(_) => Ok(()),
            Enqueued::Duplicate(_) => Err(Error::Corrupt),
        }
    }

    /// Starts a row under a fresh key `prefix:random`; its content is set by
    /// [`enqueue`](Self::enqueue).
    fn row(
        &self,
        prefix: &str,
        correlation: Option<&CorrelationId>,
        kind: MessageKind,
        to: Email,
    ) -> Result<OutboxMessage> {
        let id = match correlation {
            Some(c) => c.as_str().to_owned(),
            None => random_hex(16)?,
        };
        let key = IdempotencyKey::new(format!("{prefix}:{id}")).map_err(|_| Error::Corrupt)?;
        // A one-byte placeholder, replaced by the sealed content before the row is stored.
        let placeholder = SealedContent::new(vec![0]).map_err(|_| Error::Corrupt)?;
        let row = OutboxMessage::new(key, kind, to, placeholder);
        Ok(match correlation {
            Some(c) => row.with_correlation(c.clone()),
            None => row,
        })
    }

    /// The values every email to the account's address has: among them its anti-phishing
    /// phrase (an email to any other address must remove it). The device is named from a fixed
    /// list of browsers and systems, never with the client's own text ([`device::summary`]).
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
            Value::from(
                client
                    .user_agent()
                    .and_then(|ua| device::summary(ua.as_str())),
            ),
        );
        let phrase = account.anti_phishing_phrase.as_ref();
        values.insert("phrase", Value::from(phrase.map(|p| p.as_str().to_owned())));
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
        user: &UserId,
        message: &Message,
        now: Timestamp,
    ) -> Result<()> {
        let row = self
            .row("mail", None, message.kind(), message.to().clone())?
            .with_user(user.clone());
        let job = Job::Mail {
            subject: message.subject().to_owned(),
            text: message.text().to_owned(),
            html: message.html().unwrap_or_default().to_owned(),
        };
        self.enqueue(row, &job, now).await
    }

    /// After a password or address changed: queues the owner's notice first, then revokes the
    /// account's reset links — each run, and logged if it fails, whatever the other did.
    async fn notify_and_revoke_resets(&self, user: &UserId, notice: &Message, now: Timestamp) {
        after_the_change(
            "queue the notice",
            self.enqueue_message(user, notice, now).await,
        );
        after_the_change(
            "revoke reset links",
            self.state
                .revoke_all(user, &acctsec_core::Purpose::PASSWORD_RESET)
                .await
                .map_err(Error::from),
        );
    }

    /// Appends an event about `user`, built by `build` from the plain one.
    async fn record(
        &self,
        user: &UserId,
        kind: SecurityEventKind,
        now: Timestamp,
        client: &ClientInfo,
        build: impl FnOnce(SecurityEvent) -> SecurityEvent,
    ) -> Result<()> {
        let event = build(SecurityEvent::new(user.clone(), kind, now, client.clone()));
        self.state.append(&event).await?;
        Ok(())
    }
}

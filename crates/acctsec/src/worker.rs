//! [`OutboxWorker`]: claims due messages, opens and sends them, retries and dead-letters.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::rng::TryCryptoRng;
use acctsec_core::{
    AccountStore, ClaimedMessage, Clock, Detail, Lease, MailError, Mailer, Message,
    SecurityEventKind, SecurityState, UserId,
};
use tracing::{debug, error, info, warn};

use crate::flows::Flows;
use crate::job::Job;
use crate::{Error, Result};

/// How the worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerSettings {
    /// Messages claimed per pass.
    pub batch: usize,
    /// How long a claim holds; a send still running at a third of it extends the lease.
    pub lease: Duration,
    /// Attempts before a transient failure is given up on.
    pub max_attempts: u32,
    /// The first retry's delay; each later one doubles, up to `max_backoff`, each drawn at
    /// random between half and all of it (jitter, so retries of many messages spread out).
    pub base_backoff: Duration,
    /// The longest delay between attempts.
    pub max_backoff: Duration,
    /// How long [`OutboxWorker::run`] waits after a pass that found nothing.
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    /// Ten messages a pass, one-minute leases, 12 attempts from 30 s doubling to an hour apart
    /// (about six hours of retries: a mail server down for an hour loses nothing), polling every
    /// two seconds when idle.
    fn default() -> Self {
        Self {
            batch: 10,
            lease: Duration::from_secs(60),
            max_attempts: 12,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            idle_poll: Duration::from_secs(2),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pass {
    /// Messages claimed.
    pub claimed: usize,
    /// Messages the mail server accepted.
    pub sent: usize,
    /// Reset requests that needed no email (unknown or disabled address, throttled).
    pub nothing_to_send: usize,
    /// Transient failures scheduled again.
    pub retried: usize,
    /// Messages given up on.
    pub dead_lettered: usize,
}

/// Sends what the flows queued: claims due messages under a lease, opens each (only the worker
/// holds the seal key), mints reset links for reset requests, sends through the [`Mailer`] with
/// the message's idempotency key, and records the outcome. A send that runs long extends its
/// lease, so a second worker never sends the same message while the first still could; transient
/// failures are retried with exponential backoff and jitter; permanent ones are dead-lettered.
/// It logs through `tracing`, naming messages by id and kind, never their content or address.
#[derive(Debug)]
pub struct OutboxWorker<A, S, C, R, M> {
    flows: Arc<Flows<A, S, C, R>>,
    mailer: M,
    settings: WorkerSettings,
}

impl<A, S, C, R, M> OutboxWorker<A, S, C, R, M>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
    R: TryCryptoRng + Clone + Send + Sync + 'static,
    M: Mailer,
{
    /// A worker for `flows`' outbox sending through `mailer`.
    pub fn new(flows: Arc<Flows<A, S, C, R>>, mailer: M, settings: WorkerSettings) -> Self {
        Self {
            flows,
            mailer,
            settings,
        }
    }

    /// Claims one batch of due messages and handles each.
    ///
    /// # Errors
    ///
    /// A store error while claiming; failures of single messages are recorded on them instead.
    pub async fn run_once(&self) -> Result<Pass> {
        let now = self.flows.clock().now();
        let claimed = self
            .flows
            .state()
            .claim(now, self.settings.lease, self.settings.batch)
            .await?;
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        for message in claimed {
            let id = message.lease.id.0;
            if let Err(e) = self.handle(message, &mut pass).await {
                // The lease lapses and the message is claimed again.
                error!(message_id = id, error = %e, "outbox message not handled");
            }
        }
        Ok(pass)
    }

    /// Runs passes until `shutdown` completes, pausing when there is nothing to do. A pass in
    /// progress finishes before it returns.
    ///
    /// # Errors
    ///
    /// Never for a single failing pass (it is logged and retried after a pause); the signature
    /// leaves room for a fatal error.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        loop {
            let pause = match self.run_once().await {
                Ok(pass) if pass.claimed > 0 => Duration::ZERO,
                Ok(_) => self.settings.idle_poll,
                Err(e) => {
                    warn!(error = %e, "outbox pass failed");
                    self.settings.idle_poll
                }
            };
            tokio::select! {
                () = &mut shutdown => {
                    info!("outbox worker stopped");
                    return Ok(());
                }
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn handle(&self, claimed: ClaimedMessage, pass: &mut Pass) -> Result<()> {
        let ClaimedMessage {
            lease,
            message: row,
            ..
        } = claimed;
        let state = self.flows.state();
        let now = self.flows.clock().now();
        let kind = row.kind.code();
        let job = self
            .flows
            .seal()
            .open(&row)
            .ok_or(Error::Corrupt)
            .and_then(|plain| Job::decode(&plain));
        let job = match job {
            Ok(job) => job,
            Err(_) => {
                error!(
                    message_id = lease.id.0,
                    kind, "sealed content does not open"
                );
                let reason = Detail::new("sealed content does not open with this key");
                state.dead_letter(&lease, &reason, now).await?;
                pass.dead_lettered += 1;
                return Ok(());
            }
        };
        // The email to send, and whose reset it is; or why nothing is to be sent.
        let prepared = match job {
            Job::Mail {
                subject,
                text,
                html,
            } => {
                let message = Message::new(row.kind, row.to.clone(), subject, text)
                    .and_then(|m| m.with_html(html))
                    .map_err(|_| Error::Corrupt)?;
                Ok((message, None))
            }
            Job::EmailChange(change) => self
                .flows
                .prepare_email_change(&change, now)
                .await?
                .map(|message| (message, None)),
            Job::Reset(reset) => self
                .flows
                .prepare_reset(&reset, row.correlation.as_ref(), lease.attempt == 1, now)
                .await?
                .map(|(message, user)| (message, Some(user))),
        };
        let (message, reset_of) = match prepared {
            Ok(prepared) => prepared,
            Err(why) => {
                debug!(message_id = lease.id.0, kind, why, "nothing to send");
                state.mark_sent(&lease, &Detail::new(why), now).await?;
                pass.nothing_to_send += 1;
                return Ok(());
            }
        };
        let outcome = self.send_holding(&lease, &row.key, &message).await;
        let now = self.flows.clock().now();
        let correlation = row.correlation.as_ref();
        match outcome {
            Ok(receipt) => {
                info!(
                    message_id = lease.id.0,
                    kind,
                    attempt = lease.attempt,
                    "sent"
                );
                if let Err(e) = state.mark_sent(&lease, &receipt, now).await {
                    // Sent, but another worker holds it now: it may send again (at least once).
                    warn!(message_id = lease.id.0, error = %e, "sent, but the lease was lost");
                }
                pass.sent += 1;
                if let Some(user) = reset_of {
                    self.note(
                        &user,
                        correlation,
                        SecurityEventKind::PasswordResetSent,
                        &receipt,
                    )
                    .await;
                }
            }
            Err(e) if e.is_transient() && lease.attempt < self.settings.max_attempts => {
                let delay = self.backoff(lease.attempt);
                warn!(message_id = lease.id.0, kind, attempt = lease.attempt, error = %e,
                    retry_in_s = delay.as_secs(), "send failed; will retry");
                state
                    .retry(
                        &lease,
                        now.saturating_add(delay),
                        &Detail::new(&e.to_string()),
                    )
                    .await?;
                pass.retried += 1;
            }
            Err(e) => {
                error!(message_id = lease.id.0, kind, attempt = lease.attempt, error = %e,
                    "send failed; giving up");
                let reason = Detail::new(&e.to_string());
                state.dead_letter(&lease, &reason, now).await?;
                pass.dead_lettered += 1;
                if let Some(user) = reset_of {
                    self.note(
                        &user,
                        correlation,
                        SecurityEventKind::PasswordResetFailed,
                        &reason,
                    )
                    .await;
                }
            }
        }
        Ok(())
    }

    /// Sends while holding the lease: every third of a lease, it is extended.
    async fn send_holding(
        &self,
        lease: &Lease,
        key: &acctsec_core::IdempotencyKey,
        message: &Message,
    ) -> std::result::Result<Detail, MailError> {
        let send = self.mailer.send(key, message);
        tokio::pin!(send);
        let mut held = *lease;
        let every = self.settings.lease / 3;
        loop {
            tokio::select! {
                outcome = &mut send => return outcome,
                () = tokio::time::sleep(every) => {
                    let until = self.flows.clock().now().saturating_add(self.settings.lease);
                    match self.flows.state().extend(&held, until).await {
                        Ok(extended) => held = extended,
                        Err(e) => warn!(message_id = held.id.0, error = %e, "lease not extended"),
                    }
                }
            }
        }
    }

    /// The delay before attempt `attempt + 1`: `base × 2^(attempt-1)`, capped, then drawn between
    /// half and all of it.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubling = 2_u32.saturating_pow(attempt.saturating_sub(1));
        let full = self
            .settings
            .base_backoff
            .saturating_mul(doubling)
            .min(self.settings.max_backoff);
        let mut word = [0_u8; 8];
        // With a failing generator the delay is the full one: jitter is a courtesy.
        let fraction = match self.flows.rng().try_fill_bytes(&mut word) {
            Ok(()) => u64::from_le_bytes(word) as f64 / u64::MAX as f64,
            Err(_) => 1.0,
        };
        full.mul_f64(0.5 + fraction / 2.0)
    }

    /// Records a reset email's outcome in the owner's activity; a failure is logged (the email's
    /// own outcome is already recorded on the outbox row).
    async fn note(
        &self,
        user: &UserId,
        correlation: Option<&acctsec_core::CorrelationId>,
        kind: SecurityEventKind,
        detail: &Detail,
    ) {
        let now = self.flows.clock().now();
        if let Err(e) = self
            .flows
            .record_reset_outcome(user, correlation, kind, detail, now)
            .await
        {
            warn!(error = %e, "reset outcome not recorded");
        }
    }
}

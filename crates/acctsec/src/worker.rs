//! [`OutboxWorker`]: claims due messages, opens and sends them, retries and dead-letters.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use acctsec_core::rng::{SystemRng, TryRng};
use acctsec_core::store::MAX_OUTBOX_CLAIM;
use acctsec_core::{
    AccountStore, ClaimedMessage, Clock, Detail, IdempotencyKey, Lease, MailError, Mailer, Message,
    SecurityState,
};
use tracing::{debug, error, info, warn};

use crate::flows::{Flows, PreparedReset};
use crate::job::Job;
use crate::{Error, Result};

/// How the worker paces itself. Checked by [`OutboxWorker::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerSettings {
    /// Messages claimed per pass (1 to 100).
    pub batch: usize,
    /// How long a claim holds (at least 3 s). Each message's lease is renewed just before it is
    /// handled, and every third of it while its send runs.
    pub lease: Duration,
    /// How long one send may take before it counts as a transient failure (at least 1 s, and
    /// less than the lease).
    pub send_timeout: Duration,
    /// Attempts before a transient failure is given up on (at least 1).
    pub max_attempts: u32,
    /// The first retry's delay (at least 1 s); each later one doubles, up to `max_backoff` (at
    /// most a week), each drawn at random between half and all of it (jitter, so retries of many
    /// messages spread out).
    pub base_backoff: Duration,
    /// The longest delay between attempts.
    pub max_backoff: Duration,
    /// How long [`OutboxWorker::run`] waits after a pass that found nothing (at least 10 ms).
    pub idle_poll: Duration,
}

impl Default for WorkerSettings {
    /// Ten messages a pass, 90-second leases, 30-second sends, 12 attempts from 30 s doubling to
    /// an hour apart (about six hours of retries: a mail server down for an hour loses nothing),
    /// polling every two seconds when idle.
    fn default() -> Self {
        Self {
            batch: 10,
            lease: Duration::from_secs(90),
            send_timeout: Duration::from_secs(30),
            max_attempts: 12,
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            idle_poll: Duration::from_secs(2),
        }
    }
}

impl WorkerSettings {
    fn check(&self) -> Result<()> {
        let week = Duration::from_secs(7 * 24 * 3600);
        let fine = (1..=MAX_OUTBOX_CLAIM).contains(&self.batch)
            && self.lease >= Duration::from_secs(3)
            && self.send_timeout >= Duration::from_secs(1)
            && self.send_timeout < self.lease
            && self.max_attempts >= 1
            && self.base_backoff >= Duration::from_secs(1)
            && (self.base_backoff..=week).contains(&self.max_backoff)
            && self.idle_poll >= Duration::from_millis(10);
        if fine {
            Ok(())
        } else {
            Err(Error::InvalidConfig("worker settings out of bounds"))
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
    /// Requests that needed no email (no enabled account, throttled, too old, the account
    /// changed).
    pub nothing_to_send: usize,
    /// Failures scheduled again.
    pub retried: usize,
    /// Messages given up on.
    pub dead_lettered: usize,
    /// Messages another worker took over (their lease lapsed); left to it.
    pub lost: usize,
}

/// How one send ended.
enum Sent {
    Accepted(Detail),
    Failed(MailError),
    /// The lease was taken over while the send ran; the send was abandoned.
    LeaseLost,
}

/// Sends what the flows queued: claims due messages under a lease, opens each (with the seal
/// key), mints links for requests, sends through the [`Mailer`] with an idempotency key, and
/// records the outcome. A message's lease is renewed just before it is handled and while its
/// send runs, and a send whose lease was taken over is abandoned, so two workers never both send
/// a message; transient failures — of the mail server, or of a store while preparing — are
/// retried with exponential backoff and jitter; permanent ones (a rejected recipient, a template
/// that does not render, content that does not open) are dead-lettered at once. It logs through
/// `tracing`, naming messages by id and kind, never their content, address or why nothing was
/// sent.
#[derive(Debug)]
pub struct OutboxWorker<A, S, C, M> {
    flows: Arc<Flows<A, S, C>>,
    mailer: M,
    settings: WorkerSettings,
}

impl<A, S, C, M> OutboxWorker<A, S, C, M>
where
    A: AccountStore,
    S: SecurityState,
    C: Clock,
    M: Mailer,
{
    /// A worker for `flows`' outbox sending through `mailer`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] for settings out of the bounds [`WorkerSettings`] states.
    pub fn new(flows: Arc<Flows<A, S, C>>, mailer: M, settings: WorkerSettings) -> Result<Self> {
        settings.check()?;
        Ok(Self {
            flows,
            mailer,
            settings,
        })
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
                // Its lease lapses and the message is claimed again.
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

    /// A lease that lapses a full lease from now, if this worker still holds the message.
    async fn renew(&self, lease: &Lease) -> Result<Option<Lease>> {
        let until = self.flows.clock().now().saturating_add(self.settings.lease);
        match self.flows.state().extend(lease, until).await {
            Ok(renewed) => Ok(Some(renewed)),
            Err(e) if e.is_conflict() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn handle(&self, claimed: ClaimedMessage, pass: &mut Pass) -> Result<()> {
        let row = claimed.message;
        let kind = row.kind.code();
        // A message later in a batch may have waited past its lease: renew it before anything.
        let Some(lease) = self.renew(&claimed.lease).await? else {
            debug!(
                message_id = claimed.lease.id.0,
                kind, "lease taken over before handling"
            );
            pass.lost += 1;
            return Ok(());
        };
        let state = self.flows.state();
        let now = self.flows.clock().now();
        let job = self
            .flows
            .seal()
            .open(&row)
            .ok_or(Error::Corrupt)
            .and_then(|plain| Job::decode(&plain));
        let prepared = match job {
            Err(e) => Err(e),
            Ok(Job::Mail {
                subject,
                text,
                html,
            }) => Message::new(row.kind, row.to.clone(), subject, text)
                .and_then(|m| m.with_html(html))
                .map(|message| Some((message, None, row.key.clone())))
                .map_err(|_| Error::Corrupt),
            Ok(Job::EmailChange(change)) => self
                .flows
                .prepare_email_change(&change, now)
                .await
                .map(|message| message.map(|m| (m, None, row.key.clone()))),
            Ok(Job::Reset(reset)) => {
                // A reset email carries a link minted for this attempt, so each attempt is its
                // own message with its own Message-ID: a receiver that took an earlier attempt
                // must not drop this one as a duplicate.
                let key = IdempotencyKey::new(format!("{}#{}", row.key, lease.attempt))
                    .map_err(|_| Error::Corrupt);
                match key {
                    Ok(key) => self
                        .flows
                        .prepare_reset(&reset, now)
                        .await
                        .map(|p| p.map(|(message, who)| (message, Some(who), key))),
                    Err(e) => Err(e),
                }
            }
        };
        let (message, reset, key) = match prepared {
            Ok(Some(prepared)) => prepared,
            Ok(None) => {
                debug!(message_id = lease.id.0, kind, "nothing to send");
                state
                    .mark_sent(&lease, &Detail::new("nothing sent"), now)
                    .await?;
                pass.nothing_to_send += 1;
                return Ok(());
            }
            Err(e) => {
                let transient = match &e {
                    Error::Store(s) => s.is_transient(),
                    Error::Hash(acctsec_hash::Error::Busy) => true,
                    _ => false,
                };
                let failure = if transient {
                    MailError::transient("preparing the message failed")
                } else {
                    MailError::permanent("the message cannot be prepared")
                };
                error!(message_id = lease.id.0, kind, error = %e, "preparing failed");
                return self
                    .settle(&lease, kind, None, Sent::Failed(failure), pass)
                    .await;
            }
        };
        let outcome = self.send_holding(lease, &key, &message).await;
        let (lease, outcome) = match outcome {
            Ok(pair) => pair,
            Err(e) => return Err(e),
        };
        self.settle(
            &lease,
            kind,
            reset.as_ref().map(|r| (r, &row)),
            outcome,
            pass,
        )
        .await
    }

    /// Records how a message ended: sent, retried later, given up on, or left to the worker
    /// that took it over.
    async fn settle(
        &self,
        lease: &Lease,
        kind: &'static str,
        reset: Option<(&PreparedReset, &acctsec_core::OutboxMessage)>,
        outcome: Sent,
        pass: &mut Pass,
    ) -> Result<()> {
        let state = self.flows.state();
        let now = self.flows.clock().now();
        let correlation = reset.and_then(|(_, row)| row.correlation.as_ref());
        match outcome {
            Sent::LeaseLost => {
                warn!(
                    message_id = lease.id.0,
                    kind, "lease taken over; send abandoned"
                );
                pass.lost += 1;
            }
            Sent::Accepted(receipt) => {
                info!(
                    message_id = lease.id.0,
                    kind,
                    attempt = lease.attempt,
                    "sent"
                );
                if let Err(e) = state.mark_sent(lease, &receipt, now).await {
                    // Sent, but another worker holds it now: it may send again (at least once).
                    warn!(message_id = lease.id.0, error = %e, "sent, but not recorded");
                }
                pass.sent += 1;
                if let Some((who, _)) = reset {
                    self.note(who, correlation, true, &receipt).await;
                }
            }
            Sent::Failed(e) if e.is_transient() && lease.attempt < self.settings.max_attempts => {
                let delay = self.backoff(lease.attempt);
                warn!(message_id = lease.id.0, kind, attempt = lease.attempt, error = %e,
                    retry_in_s = delay.as_secs(), "failed; will retry");
                state
                    .retry(
                        lease,
                        now.saturating_add(delay),
                        &Detail::new(&e.to_string()),
                    )
                    .await?;
                pass.retried += 1;
            }
            Sent::Failed(e) => {
                error!(message_id = lease.id.0, kind, attempt = lease.attempt, error = %e,
                    "failed; giving up");
                let reason = Detail::new(&e.to_string());
                state.dead_letter(lease, &reason, now).await?;
                pass.dead_lettered += 1;
                if let Some((who, _)) = reset {
                    self.note(who, correlation, false, &reason).await;
                }
            }
        }
        Ok(())
    }

    /// Sends while holding the lease: every third of a lease it is renewed, and if another worker
    /// took it over the send is abandoned. A send running past the timeout is a transient
    /// failure. Returns the lease as last renewed.
    async fn send_holding(
        &self,
        lease: Lease,
        key: &IdempotencyKey,
        message: &Message,
    ) -> Result<(Lease, Sent)> {
        let send = tokio::time::timeout(self.settings.send_timeout, self.mailer.send(key, message));
        tokio::pin!(send);
        let mut held = lease;
        let every = self.settings.lease / 3;
        loop {
            tokio::select! {
                outcome = &mut send => {
                    let sent = match outcome {
                        Ok(Ok(receipt)) => Sent::Accepted(receipt),
                        Ok(Err(e)) => Sent::Failed(e),
                        Err(_) => Sent::Failed(MailError::transient("the send timed out")),
                    };
                    return Ok((held, sent));
                }
                () = tokio::time::sleep(every) => {
                    match self.renew(&held).await? {
                        Some(renewed) => held = renewed,
                        None => return Ok((held, Sent::LeaseLost)),
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
        let fraction = match SystemRng.try_fill_bytes(&mut word) {
            Ok(()) => (u64::from_le_bytes(word) >> 11) as f64 / (1_u64 << 53) as f64,
            Err(_) => 1.0,
        };
        full.mul_f64(0.5 + fraction / 2.0)
    }

    /// Records a reset email's outcome in the owner's activity; a failure is logged (the email's
    /// own outcome is already recorded on the outbox row).
    async fn note(
        &self,
        reset: &PreparedReset,
        correlation: Option<&acctsec_core::CorrelationId>,
        sent: bool,
        detail: &Detail,
    ) {
        let now = self.flows.clock().now();
        if let Err(e) = self
            .flows
            .record_reset_outcome(reset, correlation, sent, detail, now)
            .await
        {
            warn!(error = %e, "reset outcome not recorded");
        }
    }
}

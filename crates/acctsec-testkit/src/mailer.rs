use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use acctsec_core::{Detail, IdempotencyKey, MailError, MailErrorKind, Mailer, Message};

/// A [`Mailer`] that records what it is asked to send, and can be told to fail.
/// Clones share one record.
///
/// ```
/// use acctsec_core::{Email, IdempotencyKey, MailErrorKind, Mailer, Message, MessageKind};
/// use acctsec_testkit::StubMailer;
///
/// # acctsec_testkit::block_on(async {
/// let mailer = StubMailer::new();
/// let key = IdempotencyKey::new("code-1")?;
/// let msg = Message::new(MessageKind::EmailCode, Email::parse("a@example.com")?, "Code", "123456")?;
/// mailer.fail_with(Some(MailErrorKind::Transient));
/// assert!(mailer.send(&key, &msg).await.unwrap_err().is_transient());
/// mailer.fail_with(None);
/// let receipt = mailer.send(&key, &msg).await?;
/// assert_eq!(receipt.as_str(), "stub-1");
/// assert_eq!(mailer.sent(), vec![msg]);
/// assert_eq!(mailer.keys(), vec![key]);
/// assert_eq!(mailer.attempts(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StubMailer(Arc<Mutex<StubState>>);

#[derive(Debug, Default)]
struct StubState {
    sent: Vec<(IdempotencyKey, Message)>,
    attempts: usize,
    failure: Option<MailErrorKind>,
}

impl StubMailer {
    /// A mailer that succeeds.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, StubState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on fail every send with this kind (`None`: succeed again).
    pub fn fail_with(&self, failure: Option<MailErrorKind>) {
        self.state().failure = failure;
    }

    /// The messages sent successfully, in order.
    #[must_use]
    pub fn sent(&self) -> Vec<Message> {
        self.state().sent.iter().map(|(_, m)| m.clone()).collect()
    }

    /// The idempotency keys of the messages sent successfully, in order.
    #[must_use]
    pub fn keys(&self) -> Vec<IdempotencyKey> {
        self.state().sent.iter().map(|(k, _)| k.clone()).collect()
    }

    /// How many sends were attempted, successful or not.
    #[must_use]
    pub fn attempts(&self) -> usize {
        self.state().attempts
    }
}

impl Mailer for StubMailer {
    async fn send(&self, key: &IdempotencyKey, message: &Message) -> Result<Detail, MailError> {
        let mut state = self.state();
        state.attempts += 1;
        match state.failure {
            None => {
                state.sent.push((key.clone(), message.clone()));
                Ok(Detail::new(&format!("stub-{}", state.sent.len())))
            }
            Some(MailErrorKind::Permanent) => Err(MailError::permanent("stub mailer told to fail")),
            Some(_) => Err(MailError::transient("stub mailer told to fail")),
        }
    }
}

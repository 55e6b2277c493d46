//! The flows' end-to-end tests — forgot password, password and email change, support, the outbox
//! worker — run on every back end: memory, SQLite, PostgreSQL (when `ACCTSEC_TEST_POSTGRES_URL`
//! is set), and PostgreSQL with Redis for tokens, throttles and profiles (when
//! `ACCTSEC_TEST_REDIS_URL` is set too), each with `StubMailer` and `ManualClock`.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use acctsec::core::SecurityState;
use acctsec::core::rng::SystemRng;
use acctsec::core::{
    Account, AccountStore, Actor, ClientInfo, Clock, Email, MailErrorKind, Message, MessageKind,
    OperatorId, Outbox, OutboxState, Password, SecurityEventKind, ThrottleKey, ThrottleStore,
    Timestamp, UserId,
};
use acctsec::hash::{Argon2Params, HashPool, Hasher};
use acctsec::policy::ViolationCode;
use acctsec::token::{BindingKey, KeyRing, SigningKey, Tokens};
use acctsec::{
    Config, Error, Flows, MailSeal, OutboxWorker, ResetLink, ResetRequested, WorkerSettings,
};
use acctsec_testkit::harness::{Case, Conformance};
use acctsec_testkit::{ManualClock, Recorder, StubMailer};

#[path = "flows/backends.rs"]
mod backends;

use backends::Store;

type Stores<S> = Recorder<S>;
type TestFlows<S> = Flows<Stores<S>, Stores<S>, ManualClock>;
type Worker<S> = OutboxWorker<Stores<S>, Stores<S>, ManualClock, StubMailer>;

const OLD: &str = "old lantern quietly over marble";
const NEW: &str = "velvet harbour drifting seventeen kites";
const START: i64 = 1_800_000_000;

struct Rig<S: Store> {
    flows: Arc<TestFlows<S>>,
    store: Stores<S>,
    clock: ManualClock,
    mailer: StubMailer,
    worker: Worker<S>,
    hasher: Hasher,
}

fn test_hasher() -> Hasher {
    Hasher::builder()
        .with_params(Argon2Params::new(64, 1, 1).unwrap())
        .insecure_allow_weak_params()
        .build()
        .unwrap()
}

fn tokens() -> Tokens {
    Tokens::builder(
        KeyRing::new(SigningKey::from_bytes(&[0x5e; 32]).unwrap()),
        BindingKey::from_bytes(&[0x3c; 32]).unwrap(),
    )
    .with_max_lifetime(Duration::from_secs(7 * 24 * 3600))
    .build()
    .unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn ana() -> UserId {
    UserId::from(1_u64)
}

fn client() -> ClientInfo {
    ClientInfo::new()
        .with_ip("203.0.113.9".parse().unwrap())
        .with_user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        .with_place("Porto, Portugal")
}

type Builder<S> = acctsec::FlowsBuilder<Stores<S>, Stores<S>, ManualClock>;

async fn rig_with<S: Store>(base: &S, config: Config) -> Rig<S> {
    rig_built(base, config, |b| b).await
}

/// A rig on the back end's fresh `base`, whose flows `customize` finishes building.
async fn rig_built<S: Store>(
    base: &S,
    config: Config,
    customize: impl FnOnce(Builder<S>) -> Builder<S>,
) -> Rig<S> {
    let store = Recorder::new(base.clone());
    let clock = ManualClock::new(Timestamp::from_unix_secs(START));
    let hasher = test_hasher();
    if base.find_by_id(&ana()).await.unwrap().is_none() {
        let stored = hasher.hash(&Password::new(OLD), &mut SystemRng).unwrap();
        base.create(Account::new(ana(), email("ana@example.com"), Some(stored)))
            .await;
        let mut disabled = Account::new(UserId::from(2_u64), email("dis@example.com"), None);
        disabled.disabled = true;
        base.create(disabled).await;
    }
    let flows = Flows::builder(
        store.clone(),
        store.clone(),
        tokens(),
        MailSeal::from_bytes(&[7; 32]).unwrap(),
        config,
    )
    .with_clock(clock.clone())
    .with_hasher(HashPool::builder(test_hasher()).build().unwrap());
    let flows = Arc::new(customize(flows).build().unwrap());
    let mailer = StubMailer::new();
    let worker = OutboxWorker::new(
        Arc::clone(&flows),
        mailer.clone(),
        WorkerSettings::default(),
    )
    .unwrap();
    Rig {
        flows,
        store,
        clock,
        mailer,
        worker,
        hasher,
    }
}

async fn rig<S: Store>(base: &S) -> Rig<S> {
    rig_with(
        base,
        Config::builder("https://example.com/account")
            .with_app_name("Example")
            .build()
            .unwrap(),
    )
    .await
}

/// The token of the link in `message` that starts with `prefix`.
fn token_after(message: &Message, prefix: &str) -> String {
    let text = message.text();
    let start = text.find(prefix).expect("the link") + prefix.len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// The token in the reset link of `message`.
fn link_token(message: &Message) -> String {
    token_after(message, "/reset?token=")
}

impl<S: Store> Rig<S> {
    async fn change_password(
        &self,
        current: &str,
        new: &str,
    ) -> acctsec::Result<acctsec::PasswordChanged> {
        let new = Password::new(new);
        self.flows
            .change_password(
                &ana(),
                &Password::new(current),
                &new,
                &new.clone(),
                &client(),
            )
            .await
    }

    async fn request(&self, address: &str) -> ResetRequested {
        self.flows
            .request_password_reset(&email(address), &client())
            .await
            .unwrap()
    }

    /// Runs worker passes until nothing is due.
    async fn drain(&self) {
        while self.worker.run_once().await.unwrap().claimed > 0 {}
    }

    /// Requests a reset for Ana and returns the link's token from the email sent.
    async fn reset_token(&self) -> String {
        let resets = || -> Vec<Message> {
            let sent = self.mailer.sent().into_iter();
            sent.filter(|m| m.kind() == MessageKind::PasswordReset)
                .collect()
        };
        let before = resets().len();
        self.request("ana@example.com").await;
        self.drain().await;
        let sent = resets();
        assert_eq!(sent.len(), before + 1, "one reset email");
        link_token(sent.last().unwrap())
    }

    async fn ana(&self) -> Account {
        self.store
            .inner()
            .find_by_id(&ana())
            .await
            .unwrap()
            .unwrap()
    }

    async fn password_is(&self, password: &str) -> bool {
        let hash = self.ana().await.password_hash.unwrap();
        self.hasher
            .verify(&Password::new(password), &hash)
            .unwrap()
            .is_valid()
    }

    async fn complete(
        &self,
        token: &str,
        new: &str,
        again: &str,
    ) -> acctsec::Result<acctsec::ResetCompleted> {
        self.flows
            .complete_password_reset(token, &Password::new(new), &Password::new(again), &client())
            .await
    }

    async fn kinds(&self, user: &UserId) -> Vec<SecurityEventKind> {
        let page = self.store.inner().page(user, None, 100).await.unwrap();
        page.events
            .into_iter()
            .rev()
            .map(|e| e.event.kind)
            .collect()
    }
}

async fn the_whole_forgot_password_flow<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    let mail = rig.mailer.sent().remove(0);
    assert_eq!(mail.kind(), MessageKind::PasswordReset);
    assert_eq!(mail.to(), &email("ana@example.com"));
    assert_eq!(mail.subject(), "Reset your Example password");
    let text = mail.text();
    for needed in [
        "https://example.com/account/reset?token=",
        "https://example.com/account/reset/cancel?token=",
        "within 15 minutes",
        "Porto, Portugal",
        "Firefox on Linux",
        "ignore this email: your password has not changed",
    ] {
        assert!(text.contains(needed), "{needed:?} missing from:\n{text}");
    }
    let html = mail.html().unwrap();
    assert!(html.contains(&format!("reset?token={token}")));
    // Following the link shows the form and consumes nothing, however often it is opened.
    for _ in 0..3 {
        assert!(matches!(
            rig.flows.inspect_reset(&token).await.unwrap(),
            ResetLink::Usable { .. }
        ));
    }
    let epoch = rig.ana().await.session_epoch;
    rig.store
        .hit(
            &acctsec::keys::sign_in_account(&ana()),
            Duration::from_secs(3600),
            rig.clock.now(),
        )
        .await
        .unwrap();
    let done = rig.complete(&token, NEW, NEW).await.unwrap();
    assert_eq!(done.user, ana());
    assert!(done.sessions_ended);
    assert_eq!(done.session_epoch, epoch + 1);
    assert_eq!(rig.ana().await.session_epoch, epoch + 1);
    assert!(rig.password_is(NEW).await && !rig.password_is(OLD).await);
    assert_eq!(
        ThrottleStore::get(
            &rig.store,
            &acctsec::keys::sign_in_account(&ana()),
            rig.clock.now()
        )
        .await
        .unwrap(),
        None,
        "failed sign-ins are forgotten"
    );
    // "Your password was changed" goes out through the outbox.
    rig.drain().await;
    let changed = rig.mailer.sent().remove(1);
    assert_eq!(changed.kind(), MessageKind::PasswordChanged);
    assert!(
        changed
            .text()
            .contains("https://example.com/account/not-me")
    );
    assert!(
        changed
            .text()
            .contains("Every other signed-in session was ended")
    );
    assert_eq!(
        rig.kinds(&ana()).await,
        [
            SecurityEventKind::PasswordResetRequested,
            SecurityEventKind::PasswordResetSent,
            SecurityEventKind::PasswordResetCompleted,
            SecurityEventKind::SessionsEnded,
        ]
    );
    // Nobody is signed in by the flow: it returns no session, and the link is spent.
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
}

async fn a_second_use_of_the_link_fails<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    rig.complete(&token, NEW, NEW).await.unwrap();
    let again = rig
        .complete(
            &token,
            "another fine passphrase for later",
            "another fine passphrase for later",
        )
        .await;
    assert!(matches!(again, Err(Error::InvalidLink)), "{again:?}");
    assert!(rig.password_is(NEW).await);
}

async fn an_expired_link_fails<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    rig.clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
    assert!(matches!(
        rig.complete(&token, NEW, NEW).await,
        Err(Error::InvalidLink)
    ));
    assert!(rig.password_is(OLD).await);
}

async fn a_new_request_supersedes_the_earlier_link<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let first = rig.reset_token().await;
    let second = rig.reset_token().await;
    assert_eq!(
        rig.flows.inspect_reset(&first).await.unwrap(),
        ResetLink::Unusable
    );
    assert!(matches!(
        rig.complete(&first, NEW, NEW).await,
        Err(Error::InvalidLink)
    ));
    rig.complete(&second, NEW, NEW).await.unwrap();
}

async fn a_link_dies_when_the_password_changes_another_way<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    rig.change_password(OLD, NEW).await.unwrap();
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
    // Also when the host changed the hash without acctsec: the binding no longer matches.
    let token = rig.reset_token().await;
    let account = rig.ana().await;
    let hash = rig
        .hasher
        .hash(&Password::new("set by the host directly"), &mut SystemRng)
        .unwrap();
    rig.store
        .inner()
        .replace_password_hash(&ana(), account.credential_version, &hash, false)
        .await
        .unwrap();
    assert!(matches!(
        rig.complete(&token, NEW, NEW).await,
        Err(Error::InvalidLink)
    ));
}

async fn of_concurrent_completions_with_one_link_exactly_one_succeeds<S: Store>(base: Arc<S>) {
    let rig = Arc::new(rig(&*base).await);
    let token = rig.reset_token().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (rig, token) = (Arc::clone(&rig), token.clone());
        tasks.push(tokio::spawn(async move {
            let pw = format!("{NEW} number {i}");
            rig.complete(&token, &pw, &pw).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::InvalidLink) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(rig.ana().await.credential_version, 1, "one replacement");
}

async fn mismatched_rejected_and_reused_passwords_each_get_their_error_and_change_nothing<
    S: Store,
>(
    base: Arc<S>,
) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    let before = rig.ana().await;

    let mismatch = rig
        .complete(&token, NEW, "velvet harbour drifting seventeen kite")
        .await;
    assert!(
        matches!(mismatch, Err(Error::ConfirmationMismatch)),
        "{mismatch:?}"
    );

    let weak = rig.complete(&token, "password123", "password123").await;
    match weak {
        Err(Error::PasswordRejected(assessment)) => {
            assert!(!assessment.accepted);
            assert!(
                assessment.violates(ViolationCode::TooShort),
                "{assessment:?}"
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // The account's own address as its password is refused too (context words).
    let own = rig
        .complete(
            &token,
            "ana@example.com ana@example.com",
            "ana@example.com ana@example.com",
        )
        .await;
    assert!(matches!(own, Err(Error::PasswordRejected(_))), "{own:?}");

    let reused = rig.complete(&token, OLD, OLD).await;
    assert!(matches!(reused, Err(Error::PasswordReused)), "{reused:?}");

    assert_eq!(rig.ana().await, before, "nothing changed");
    assert!(matches!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Usable { .. }
    ));
    assert!(
        rig.kinds(&ana())
            .await
            .contains(&SecurityEventKind::PasswordReuseRefused)
    );
    rig.complete(&token, NEW, NEW).await.unwrap();
}

async fn recent_passwords_are_refused_after_changes<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let steps = [
        NEW,
        "a second long passphrase of mine",
        "a third long passphrase of mine",
    ];
    let mut current = OLD;
    for next in steps {
        rig.change_password(current, next).await.unwrap();
        current = next;
    }
    for old in [OLD, NEW, steps[1], steps[2]] {
        let r = rig.change_password(current, old).await;
        assert!(matches!(r, Err(Error::PasswordReused)), "{old}: {r:?}");
    }
}

async fn change_password_needs_the_current_one_and_throttles_guessing<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    for _ in 0..acctsec::DEFAULT_CHANGE_ATTEMPTS {
        let r = rig.change_password("wrong guess", NEW).await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    let r = rig.change_password(OLD, NEW).await;
    assert!(
        matches!(r, Err(Error::Throttled)),
        "even the right one waits: {r:?}"
    );
    rig.clock.advance(acctsec::CHANGE_THROTTLE_WINDOW);
    let changed = rig.change_password(OLD, NEW).await.unwrap();
    assert!(changed.sessions_ended);
    assert!(rig.password_is(NEW).await);
}

async fn the_mailer_down_for_an_hour_delivers_once_it_recovers_once<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.mailer.fail_with(Some(MailErrorKind::Transient));
    rig.request("ana@example.com").await;
    let mut passes = 0;
    // An hour of minutes: whatever is due is tried, and fails.
    for _ in 0..60 {
        passes += rig.worker.run_once().await.unwrap().retried;
        rig.clock.advance(Duration::from_secs(60));
    }
    assert!(passes >= 5, "retried with backoff: {passes} retries");
    assert!(rig.mailer.sent().is_empty());
    rig.mailer.fail_with(None);
    for _ in 0..120 {
        rig.worker.run_once().await.unwrap();
        rig.clock.advance(Duration::from_secs(60));
    }
    let sent = rig.mailer.sent();
    assert_eq!(sent.len(), 1, "delivered exactly once");
    // The link in the email that finally went out works.
    let token = link_token(&sent[0]);
    rig.clock.set(rig.clock.now());
    let history = rig.flows.reset_history(&ana(), 100).await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(
        matches!(history[0].mail, Some(OutboxState::Sent { .. })),
        "{history:?}"
    );
    assert!(history[0].attempts > 1 && history[0].last_error.is_some());
    assert_eq!(
        history[0].receipt.as_ref().map(|r| r.as_str()),
        Some("stub-1")
    );
    // Reset links last 15 minutes from sending: the clock ran on, so it has expired by now.
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
}

async fn a_permanent_failure_is_dead_lettered_and_shows_in_the_history<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.mailer.fail_with(Some(MailErrorKind::Permanent));
    rig.request("ana@example.com").await;
    let pass = rig.worker.run_once().await.unwrap();
    assert_eq!(pass.dead_lettered, 1);
    let history = rig.flows.reset_history(&ana(), 100).await.unwrap();
    assert!(matches!(
        history[0].mail,
        Some(OutboxState::DeadLettered { .. })
    ));
    assert!(
        rig.kinds(&ana())
            .await
            .contains(&SecurityEventKind::PasswordResetFailed)
    );
}

async fn throttled_requests_send_nothing<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    for _ in 0..5 {
        assert_eq!(rig.request("ana@example.com").await, ResetRequested);
    }
    rig.drain().await;
    assert_eq!(
        rig.mailer.sent().len(),
        usize::try_from(acctsec::DEFAULT_RESET_PER_ADDRESS).unwrap(),
        "only the requests within the per-address limit send"
    );
    // A new window lets the owner ask again.
    rig.clock.advance(acctsec::RESET_THROTTLE_WINDOW);
    rig.request("ana@example.com").await;
    rig.drain().await;
    assert_eq!(rig.mailer.sent().len(), 4);
}

async fn unknown_and_disabled_addresses_get_the_same_answer_the_same_work_and_no_email<S: Store>(
    base: Arc<S>,
) {
    // Generous limits, so the throttled path is chosen by hand below.
    let rig = rig(&*base).await;
    let mut paths = Vec::new();
    for address in ["ana@example.com", "nobody@example.com", "dis@example.com"] {
        rig.store.take_ops();
        let answer = rig.request(address).await;
        paths.push((address, answer, rig.store.take_ops()));
    }
    // The throttled path: an address over its limit.
    for _ in 0..acctsec::DEFAULT_RESET_PER_ADDRESS {
        rig.request("eve@example.com").await;
    }
    rig.store.take_ops();
    let answer = rig.request("eve@example.com").await;
    paths.push(("throttled", answer, rig.store.take_ops()));
    let (_, first_answer, first_ops) = &paths[0];
    assert_eq!(
        first_ops,
        &[
            "throttle.record_and_decide",
            "throttle.record_and_decide",
            "throttle.record_and_decide",
            "outbox.enqueue"
        ]
    );
    for (path, answer, ops) in &paths {
        assert_eq!(answer, first_answer, "{path}");
        assert_eq!(ops, first_ops, "{path}");
    }
    rig.drain().await;
    let sent = rig.mailer.sent();
    assert_eq!(sent.len(), 1, "only the enabled account gets an email");
    assert_eq!(sent[0].to(), &email("ana@example.com"));
}

async fn the_stored_outbox_holds_no_usable_link_and_no_address_in_its_content<S: Store>(
    base: Arc<S>,
) {
    let rig = rig(&*base).await;
    rig.request("ana@example.com").await;
    // The request's row, before the worker: the content is sealed.
    let claimed = rig
        .store
        .inner()
        .claim(rig.clock.now(), Duration::from_secs(1), 10)
        .await
        .unwrap();
    let content = claimed[0].message.content.as_bytes().to_vec();
    assert!(
        !contains(&content, b"ana@example.com"),
        "the address is sealed"
    );
    assert!(!contains(&content, b"203.0.113.9"), "the client is sealed");
    rig.clock.advance(Duration::from_secs(2));
    rig.drain().await;
    let token = link_token(&rig.mailer.sent()[0]);
    rig.complete(&token, NEW, NEW).await.unwrap();
    rig.drain().await;
    // Every row the outbox kept, in every form a reader of the database could see.
    for id in 1..=2 {
        let entry = Outbox::get(rig.store.inner(), acctsec::core::OutboxId(id))
            .await
            .unwrap()
            .unwrap();
        let dump = format!("{entry:?}");
        assert!(!dump.contains(&token), "{dump}");
        assert!(!contains(
            entry.message.content.as_bytes(),
            token.as_bytes()
        ));
        assert!(
            !contains(entry.message.content.as_bytes(), b"not-me"),
            "bodies are sealed"
        );
    }
    // The token's record holds only its digest.
    let events = format!("{:?}", rig.store.inner());
    assert!(!events.contains(&token));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn sealed_content_moved_to_another_recipient_does_not_open<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.request("ana@example.com").await;
    let mut claimed = rig
        .store
        .inner()
        .claim(rig.clock.now(), Duration::from_secs(1), 10)
        .await
        .unwrap();
    // Someone with write access to the database copies the sealed request onto a row of their
    // own, addressed to themselves.
    let mut forged = claimed.remove(0).message;
    forged.to = email("mallory@example.com");
    forged.key = acctsec::core::IdempotencyKey::new("forged").unwrap();
    rig.store
        .inner()
        .enqueue(&forged, rig.clock.now())
        .await
        .unwrap();
    rig.clock.advance(Duration::from_secs(2));
    let pass = rig.worker.run_once().await.unwrap();
    assert_eq!((pass.sent, pass.dead_lettered), (1, 1), "{pass:?}");
    let sent = rig.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].to(),
        &email("ana@example.com"),
        "nothing reaches Mallory"
    );
}

async fn a_cancelled_request_kills_its_link<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    let cancel = token_after(
        &rig.last_of(MessageKind::PasswordReset).unwrap(),
        "/reset/cancel?token=",
    );
    assert_ne!(cancel, token);
    // Each link does its own thing only: the cancel link sets no password, the reset link
    // cancels nothing.
    assert!(matches!(
        rig.complete(&cancel, NEW, NEW).await,
        Err(Error::InvalidLink)
    ));
    assert!(!rig.flows.cancel_reset(&token, &client()).await.unwrap());
    assert!(rig.flows.cancel_reset(&cancel, &client()).await.unwrap());
    assert!(!rig.flows.cancel_reset(&cancel, &client()).await.unwrap());
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
    assert!(
        rig.kinds(&ana())
            .await
            .contains(&SecurityEventKind::PasswordResetRevoked)
    );
}

async fn support_sends_a_link_and_sees_what_happened_but_never_a_password<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let operator = OperatorId::new("op-7").unwrap();
    let correlation = rig
        .flows
        .send_reset_for_support(&ana(), &operator, "ticket 4411: email never came")
        .await
        .unwrap();
    rig.drain().await;
    let sent = rig.mailer.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to(), &email("ana@example.com"));
    let history = rig.flows.reset_history(&ana(), 100).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].correlation.as_ref(), Some(&correlation));
    assert!(matches!(&history[0].actor, Actor::Support { operator: o, .. } if o == &operator));
    assert!(matches!(history[0].mail, Some(OutboxState::Sent { .. })));
    let dump = format!("{history:?}");
    assert!(
        !dump.contains(&link_token(&sent[0])),
        "support never sees the link"
    );
    // The owner's activity says who did it and why.
    let page = rig.store.inner().page(&ana(), None, 100).await.unwrap();
    let support = page
        .events
        .iter()
        .find(|e| e.event.kind == SecurityEventKind::SupportAction)
        .unwrap();
    assert!(
        matches!(&support.event.actor, Actor::Support { reason, .. } if reason.as_str().contains("4411"))
    );
    // The owner completes it as usual.
    rig.complete(&link_token(&sent[0]), NEW, NEW).await.unwrap();
    assert!(matches!(
        rig.flows
            .send_reset_for_support(&UserId::from(99_u64), &operator, "x")
            .await,
        Err(Error::UnknownAccount)
    ));
}

async fn links_come_from_the_configured_base_url_only<S: Store>(base: Arc<S>) {
    let rig = rig_with(
        &*base,
        Config::builder("https://accounts.example.org/")
            .build()
            .unwrap(),
    )
    .await;
    let token = rig.reset_token().await;
    let text = rig.mailer.sent()[0].text().to_owned();
    assert!(text.contains(&format!("https://accounts.example.org/reset?token={token}")));
    for bad in [
        "http://example.com",
        "javascript:alert(1)",
        "https://",
        "https://a.example/?x=1",
        "https://a.example/#f",
    ] {
        assert!(Config::builder(bad).build().is_err(), "{bad}");
    }
    assert!(
        Config::builder("http://127.0.0.1:8080/account")
            .build()
            .is_ok()
    );
}

async fn the_worker_stops_gracefully<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.request("ana@example.com").await;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = OutboxWorker::new(
        Arc::clone(&rig.flows),
        rig.mailer.clone(),
        WorkerSettings::default(),
    )
    .unwrap();
    let handle = tokio::spawn(async move {
        worker
            .run(async {
                let _ = rx.await;
            })
            .await
    });
    for _ in 0..100 {
        if !rig.mailer.sent().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();
    assert_eq!(rig.mailer.sent().len(), 1);
}

async fn debug_prints_no_secret<S: Store>(_base: Arc<S>) {
    let seal = MailSeal::from_bytes(&[0xAB; 32]).unwrap();
    assert_eq!(format!("{seal:?}"), "MailSeal(..)");
    assert!(MailSeal::from_bytes(&[1; 31]).is_err());
    let key = ThrottleKey::new("x").unwrap();
    assert_eq!(key.as_str(), "x");
}

/// The link in `message` that starts with `prefix`, split into its token and email values.
fn token_and_email(message: &Message, prefix: &str) -> (String, Email) {
    let text = message.text();
    let start = text.find(prefix).expect("the link") + prefix.len();
    let query = text[start..].split(char::is_whitespace).next().unwrap();
    let (token, email_value) = query.split_once("&email=").unwrap();
    let decoded = percent_encoding::percent_decode_str(email_value)
        .decode_utf8()
        .unwrap();
    (token.to_owned(), email(&decoded))
}

impl<S: Store> Rig<S> {
    async fn change_email(
        &self,
        password: &str,
        to: &str,
    ) -> acctsec::Result<acctsec::EmailChangeRequested> {
        self.flows
            .change_email(&ana(), &Password::new(password), &email(to), &client())
            .await
    }

    fn last_of(&self, kind: MessageKind) -> Option<Message> {
        self.mailer.sent().into_iter().rfind(|m| m.kind() == kind)
    }
}

async fn an_email_change_is_confirmed_from_the_new_address_and_undone_from_the_old<S: Store>(
    base: Arc<S>,
) {
    let rig = rig(&*base).await;
    let old_reset = rig.reset_token().await;
    rig.change_email(OLD, "ana.new+work@example.org")
        .await
        .unwrap();
    assert_eq!(
        rig.ana().await.email,
        email("ana@example.com"),
        "nothing changes yet"
    );
    rig.drain().await;
    let confirm = rig.last_of(MessageKind::EmailChangeConfirm).unwrap();
    assert_eq!(confirm.to(), &email("ana.new+work@example.org"));
    let (token, new) =
        token_and_email(&confirm, "https://example.com/account/email/confirm?token=");
    assert_eq!(
        new,
        email("ana.new+work@example.org"),
        "the address survives the link"
    );
    // A link for one address does not confirm another.
    assert!(matches!(
        rig.flows
            .confirm_email_change(&token, &email("mallory@example.net"), &client())
            .await,
        Err(Error::InvalidLink)
    ));
    let changed = rig
        .flows
        .confirm_email_change(&token, &new, &client())
        .await
        .unwrap();
    assert_eq!(changed.email, new);
    assert_eq!(rig.ana().await.email, new);
    assert!(
        matches!(
            rig.flows
                .confirm_email_change(&token, &new, &client())
                .await,
            Err(Error::InvalidLink)
        ),
        "single use"
    );
    // Reset links sent to the old address died with the change.
    assert_eq!(
        rig.flows.inspect_reset(&old_reset).await.unwrap(),
        ResetLink::Unusable
    );
    // The old address is told, with a link that undoes the change for days.
    rig.drain().await;
    let notice = rig.last_of(MessageKind::EmailChanged).unwrap();
    assert_eq!(notice.to(), &email("ana@example.com"));
    assert!(notice.text().contains("within 3 days"), "{}", notice.text());
    let (undo, old) = token_and_email(&notice, "https://example.com/account/email/undo?token=");
    assert_eq!(old, email("ana@example.com"));
    rig.clock.advance(Duration::from_secs(2 * 24 * 3600));
    let epoch = rig.ana().await.session_epoch;
    let undone = rig
        .flows
        .undo_email_change(&undo, &old, &client())
        .await
        .unwrap();
    assert_eq!(undone.session_epoch, epoch + 1, "everyone is signed out");
    assert_eq!(rig.ana().await.email, email("ana@example.com"));
    assert!(matches!(
        rig.flows.undo_email_change(&undo, &old, &client()).await,
        Err(Error::InvalidLink)
    ));
    let kinds = rig.kinds(&ana()).await;
    for kind in [
        SecurityEventKind::EmailChangeRequested,
        SecurityEventKind::EmailChanged,
        SecurityEventKind::EmailChangeUndone,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    // Undo sends the restored address a reset link at once.
    rig.drain().await;
    let reset = rig.last_of(MessageKind::PasswordReset).unwrap();
    assert_eq!(reset.to(), &email("ana@example.com"));
    rig.complete(&link_token(&reset), NEW, NEW).await.unwrap();
}

async fn an_address_of_another_account_gets_the_same_answer_and_no_email<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let taken = rig.change_email(OLD, "dis@example.com").await.unwrap();
    let free = rig.change_email(OLD, "free@example.com").await.unwrap();
    assert_eq!(taken, free);
    rig.drain().await;
    let sent = rig.mailer.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to(), &email("free@example.com"));
}

async fn an_email_change_needs_the_current_password<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    assert!(matches!(
        rig.change_email("not my password", "new@example.com").await,
        Err(Error::WrongPassword)
    ));
    rig.drain().await;
    assert!(rig.mailer.sent().is_empty());
}

async fn an_undo_link_expires<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.change_email(OLD, "new@example.com").await.unwrap();
    rig.drain().await;
    let (token, new) = token_and_email(
        &rig.last_of(MessageKind::EmailChangeConfirm).unwrap(),
        "/email/confirm?token=",
    );
    rig.flows
        .confirm_email_change(&token, &new, &client())
        .await
        .unwrap();
    rig.drain().await;
    let (undo, old) = token_and_email(
        &rig.last_of(MessageKind::EmailChanged).unwrap(),
        "/email/undo?token=",
    );
    rig.clock.advance(acctsec::DEFAULT_EMAIL_UNDO_TTL);
    assert!(matches!(
        rig.flows.undo_email_change(&undo, &old, &client()).await,
        Err(Error::InvalidLink)
    ));
}

async fn an_intruder_cannot_kill_the_undo_link_and_undo_locks_them_out<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    // The intruder, with a session and the password, moves the account to their address...
    rig.change_email(OLD, "intruder@example.net").await.unwrap();
    rig.drain().await;
    let (token, new) = token_and_email(
        &rig.last_of(MessageKind::EmailChangeConfirm).unwrap(),
        "/email/confirm?token=",
    );
    rig.flows
        .confirm_email_change(&token, &new, &client())
        .await
        .unwrap();
    rig.drain().await;
    let (undo, old) = token_and_email(
        &rig.last_of(MessageKind::EmailChanged).unwrap(),
        "/email/undo?token=",
    );
    // ...then changes the password and the address again, to shake the owner off.
    rig.change_password(OLD, NEW).await.unwrap();
    rig.change_email(NEW, "second@example.net").await.unwrap();
    rig.drain().await;
    let (token, new) = token_and_email(
        &rig.last_of(MessageKind::EmailChangeConfirm).unwrap(),
        "/email/confirm?token=",
    );
    rig.flows
        .confirm_email_change(&token, &new, &client())
        .await
        .unwrap();
    let epoch = rig.ana().await.session_epoch;
    // The owner's first undo link still works.
    let undone = rig
        .flows
        .undo_email_change(&undo, &old, &client())
        .await
        .unwrap();
    let ana_now = rig.ana().await;
    assert_eq!(ana_now.email, email("ana@example.com"));
    assert_eq!(undone.session_epoch, epoch + 1, "every session ended");
    assert!(
        !rig.password_is(NEW).await && !rig.password_is(OLD).await,
        "the password is no longer known to anyone"
    );
    // A reset link goes to the restored address at once.
    rig.drain().await;
    let reset = rig.last_of(MessageKind::PasswordReset).unwrap();
    assert_eq!(reset.to(), &email("ana@example.com"));
    rig.complete(
        &link_token(&reset),
        "the owner's brand new passphrase",
        "the owner's brand new passphrase",
    )
    .await
    .unwrap();
}

async fn a_pending_email_change_dies_when_the_password_changes<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.change_email(OLD, "intruder@example.net").await.unwrap();
    // The owner changes the password before the confirmation went out (a slow mail server).
    rig.change_password(OLD, NEW).await.unwrap();
    rig.drain().await;
    assert!(rig.last_of(MessageKind::EmailChangeConfirm).is_none());
}

async fn a_template_that_fails_to_render_is_dead_lettered_not_retried_forever<S: Store>(
    base: Arc<S>,
) {
    let broken = acctsec::Templates::built_in()
        .with_template("reset.txt", "{% include 'no such template' %}")
        .unwrap();
    let config = Config::builder("https://example.com/account")
        .build()
        .unwrap();
    let rig = rig_built(&*base, config, |b| b.with_templates(broken)).await;
    let (flows, worker) = (&rig.flows, &rig.worker);
    flows
        .request_password_reset(&email("ana@example.com"), &client())
        .await
        .unwrap();
    let pass = worker.run_once().await.unwrap();
    assert_eq!((pass.dead_lettered, pass.retried), (1, 0), "{pass:?}");
    rig.clock.advance(Duration::from_secs(3600));
    assert_eq!(
        worker.run_once().await.unwrap().claimed,
        0,
        "never claimed again"
    );
    assert!(rig.mailer.sent().is_empty());
}

async fn the_requesters_user_agent_is_never_echoed_into_the_email<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let phishy = ClientInfo::new()
        .with_ip("203.0.113.9".parse().unwrap())
        .with_user_agent("Firefox/1 Linux. Your account is locked: verify at https://evil.example");
    rig.flows
        .request_password_reset(&email("ana@example.com"), &phishy)
        .await
        .unwrap();
    rig.drain().await;
    let mail = rig.last_of(MessageKind::PasswordReset).unwrap();
    assert!(
        mail.text().contains("using Firefox on Linux"),
        "{}",
        mail.text()
    );
    for part in [mail.text(), mail.html().unwrap()] {
        assert!(!part.contains("evil") && !part.contains("locked"), "{part}");
    }
}

async fn a_reset_link_allows_ten_refused_passwords_then_is_used_up<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let token = rig.reset_token().await;
    for _ in 0..acctsec::RESET_FAILURES_PER_LINK {
        assert!(matches!(
            rig.complete(&token, OLD, OLD).await,
            Err(Error::PasswordReused)
        ));
    }
    assert!(matches!(
        rig.complete(&token, NEW, NEW).await,
        Err(Error::InvalidLink)
    ));
    assert_eq!(
        rig.flows.inspect_reset(&token).await.unwrap(),
        ResetLink::Unusable
    );
    assert!(rig.password_is(OLD).await);
}

async fn a_retried_reset_email_is_a_new_message_with_its_own_id<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.mailer.fail_with(Some(MailErrorKind::Transient));
    rig.request("ana@example.com").await;
    assert_eq!(rig.worker.run_once().await.unwrap().retried, 1);
    rig.mailer.fail_with(None);
    rig.clock.advance(Duration::from_secs(3600));
    rig.drain().await;
    let keys = rig.mailer.keys();
    assert_eq!(keys.len(), 1);
    assert!(
        keys[0].as_str().starts_with("reset:") && keys[0].as_str().ends_with("#2"),
        "{keys:?}"
    );
    // A rendered notice keeps one id for every attempt.
    rig.complete(&link_token(&rig.mailer.sent()[0]), NEW, NEW)
        .await
        .unwrap();
    rig.drain().await;
    let notice_key = rig.mailer.keys().pop().unwrap();
    assert!(notice_key.as_str().starts_with("mail:") && !notice_key.as_str().contains('#'));
}

async fn wrong_current_passwords_elsewhere_do_not_lock_the_owner_out<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let elsewhere = ClientInfo::new().with_ip("198.51.100.66".parse().unwrap());
    for _ in 0..acctsec::DEFAULT_CHANGE_ATTEMPTS {
        let r = rig
            .flows
            .change_password(
                &ana(),
                &Password::new("a guess"),
                &Password::new(NEW),
                &Password::new(NEW),
                &elsewhere,
            )
            .await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    let r = rig
        .flows
        .change_password(
            &ana(),
            &Password::new(OLD),
            &Password::new(NEW),
            &Password::new(NEW),
            &elsewhere,
        )
        .await;
    assert!(matches!(r, Err(Error::Throttled)), "{r:?}");
    // The owner, at home, is not slowed down.
    rig.change_password(OLD, NEW).await.unwrap();
}

async fn a_hundred_distinct_wrong_passwords_close_the_forms_until_a_reset<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    for i in 0..acctsec::CHANGE_FAILURE_CEILING {
        // From many sources, so the per-source limit never bites.
        let from = ClientInfo::new()
            .with_ip(std::net::Ipv4Addr::from(0x0A00_0000 + u32::try_from(i).unwrap()).into());
        let r = rig
            .flows
            .change_email(
                &ana(),
                &Password::new(format!("guess {i}")),
                &email("x@example.org"),
                &from,
            )
            .await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{i}: {r:?}");
    }
    // The same stale password again counts once: still a hundred.
    assert!(matches!(
        rig.change_password(OLD, NEW).await,
        Err(Error::Throttled)
    ));
    let token = rig.reset_token().await;
    rig.complete(&token, NEW, NEW).await.unwrap();
    rig.change_password(NEW, "after the reset, a fine passphrase")
        .await
        .unwrap();
}

async fn worker_settings_are_checked<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    let mut settings = WorkerSettings::default();
    settings.lease = Duration::ZERO;
    assert!(OutboxWorker::new(Arc::clone(&rig.flows), rig.mailer.clone(), settings).is_err());
    let mut settings = WorkerSettings::default();
    settings.max_backoff = Duration::MAX;
    assert!(OutboxWorker::new(Arc::clone(&rig.flows), rig.mailer.clone(), settings).is_err());
    assert!(
        Config::builder("https://example.com@evil.example/")
            .build()
            .is_err()
    );
    assert!(Config::builder("http://[2001:db8::1]/").build().is_err());
}

async fn a_breached_password_is_refused_when_an_oracle_is_configured<S: Store>(base: Arc<S>) {
    // The SHA-1 of NEW, as a breach corpus lists it.
    let corpus = "6CEB43954FC720B17B350BE814867BCB445A0808:42\n";
    let filter = acctsec::policy::BreachFilter::from_hash_lines(corpus).unwrap();
    let config = Config::builder("https://example.com/account")
        .build()
        .unwrap();
    let rig = rig_built(&*base, config, |b| b.with_breach_oracle(filter)).await;
    let token = rig.reset_token().await;
    match rig.complete(&token, NEW, NEW).await {
        Err(Error::PasswordRejected(assessment)) => {
            assert!(
                assessment.violates(ViolationCode::Breached),
                "{assessment:?}"
            );
        }
        other => panic!("a breached password was accepted: {other:?}"),
    }
    rig.complete(
        &token,
        "another passphrase nobody has leaked",
        "another passphrase nobody has leaked",
    )
    .await
    .unwrap();
}

async fn every_store_trait_is_held_through_references_and_pointers<S: Store>(base: Arc<S>) {
    async fn round_trip<T: SecurityState + AccountStore>(state: &T) {
        assert!(state.find_by_id(&ana()).await.unwrap().is_none());
        assert!(state.recent(&ana(), 5).await.unwrap().is_empty());
    }
    round_trip(&&*base).await;
    round_trip(&base).await;
    round_trip(&Box::new((*base).clone())).await;
}

async fn the_anti_phishing_phrase_is_in_every_email_to_the_owner_and_nowhere_else<S: Store>(
    base: Arc<S>,
) {
    let rig = rig(&*base).await;
    rig.flows
        .set_anti_phishing_phrase(&ana(), Some("  purple otter at dawn "), &client())
        .await
        .unwrap();
    let token = rig.reset_token().await;
    rig.complete(&token, NEW, NEW).await.unwrap();
    rig.change_email(NEW, "ana.work@example.org").await.unwrap();
    rig.drain().await;
    let (confirm_token, new) = token_and_email(
        &rig.last_of(MessageKind::EmailChangeConfirm).unwrap(),
        "/email/confirm?token=",
    );
    rig.flows
        .confirm_email_change(&confirm_token, &new, &client())
        .await
        .unwrap();
    rig.drain().await;
    for mail in rig.mailer.sent() {
        let shown = mail
            .text()
            .contains("Your security phrase: purple otter at dawn")
            && mail.html().unwrap().contains("purple otter at dawn");
        let to_the_owner = mail.to() == &email("ana@example.com");
        assert_eq!(shown, to_the_owner, "{:?} to {}", mail.kind(), mail.to());
    }
    assert_eq!(
        rig.mailer.sent().len(),
        4,
        "reset, changed, confirm, email changed"
    );
    // Cleared, it is gone; a phrase must be one short line.
    rig.flows
        .set_anti_phishing_phrase(&ana(), None, &client())
        .await
        .unwrap();
    assert_eq!(rig.ana().await.anti_phishing_phrase, None);
    for bad in [
        "",
        "   ",
        "two\nlines",
        &"x".repeat(acctsec::MAX_PHRASE_CHARS + 1),
    ] {
        let r = rig
            .flows
            .set_anti_phishing_phrase(&ana(), Some(bad), &client())
            .await;
        assert!(matches!(r, Err(Error::InvalidPhrase(_))), "{bad:?}: {r:?}");
    }
    assert!(
        rig.kinds(&ana())
            .await
            .contains(&SecurityEventKind::AntiPhishingPhraseChanged)
    );
}

/// Everything every test logs, at every level: the binary's one subscriber writes here.
static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// The subscriber's writer: appends to [`LOGS`].
struct Captured;

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs of every test so far — the flows', the worker's and the stores' own — hold no link,
/// password, address or client address (the tests use the same ones).
async fn the_logs_hold_no_secret_or_address<S: Store>(base: Arc<S>) {
    let rig = rig(&*base).await;
    rig.mailer.fail_with(Some(MailErrorKind::Transient));
    rig.request("ana@example.com").await;
    rig.request("nobody@example.com").await;
    rig.worker.run_once().await.unwrap();
    rig.mailer.fail_with(None);
    rig.clock.advance(Duration::from_secs(3600));
    rig.drain().await;
    let token = link_token(&rig.last_of(MessageKind::PasswordReset).unwrap());
    rig.complete(&token, NEW, NEW).await.unwrap();
    rig.drain().await;
    let logs = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    assert!(
        logs.contains("sent") && logs.contains("will retry"),
        "{logs}"
    );
    for secret in [
        token.as_str(),
        NEW,
        OLD,
        "ana@example.com",
        "nobody@example.com",
        "203.0.113.9",
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret:?}");
    }
}

/// Every flow test, for one back end.
fn cases<S: Store>() -> Vec<Case<Arc<S>>> {
    macro_rules! cases {
        ($($name:ident),+ $(,)?) => {
            vec![$(Case::new(stringify!($name), |base| Box::pin($name(base)))),+]
        };
    }
    cases![
        the_logs_hold_no_secret_or_address,
        the_whole_forgot_password_flow,
        a_second_use_of_the_link_fails,
        an_expired_link_fails,
        a_new_request_supersedes_the_earlier_link,
        a_link_dies_when_the_password_changes_another_way,
        of_concurrent_completions_with_one_link_exactly_one_succeeds,
        mismatched_rejected_and_reused_passwords_each_get_their_error_and_change_nothing,
        recent_passwords_are_refused_after_changes,
        change_password_needs_the_current_one_and_throttles_guessing,
        the_mailer_down_for_an_hour_delivers_once_it_recovers_once,
        a_permanent_failure_is_dead_lettered_and_shows_in_the_history,
        throttled_requests_send_nothing,
        unknown_and_disabled_addresses_get_the_same_answer_the_same_work_and_no_email,
        the_stored_outbox_holds_no_usable_link_and_no_address_in_its_content,
        sealed_content_moved_to_another_recipient_does_not_open,
        a_cancelled_request_kills_its_link,
        support_sends_a_link_and_sees_what_happened_but_never_a_password,
        links_come_from_the_configured_base_url_only,
        the_worker_stops_gracefully,
        debug_prints_no_secret,
        an_email_change_is_confirmed_from_the_new_address_and_undone_from_the_old,
        an_address_of_another_account_gets_the_same_answer_and_no_email,
        an_email_change_needs_the_current_password,
        an_undo_link_expires,
        an_intruder_cannot_kill_the_undo_link_and_undo_locks_them_out,
        a_pending_email_change_dies_when_the_password_changes,
        a_template_that_fails_to_render_is_dead_lettered_not_retried_forever,
        the_requesters_user_agent_is_never_echoed_into_the_email,
        a_reset_link_allows_ten_refused_passwords_then_is_used_up,
        a_retried_reset_email_is_a_new_message_with_its_own_id,
        wrong_current_passwords_elsewhere_do_not_lock_the_owner_out,
        a_hundred_distinct_wrong_passwords_close_the_forms_until_a_reset,
        worker_settings_are_checked,
        a_breached_password_is_refused_when_an_oracle_is_configured,
        every_store_trait_is_held_through_references_and_pointers,
        the_anti_phishing_phrase_is_in_every_email_to_the_owner_and_nowhere_else,
    ]
}

fn main() -> std::process::ExitCode {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(|| Captured)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the one subscriber");
    backends::register(Conformance::from_args()).run()
}

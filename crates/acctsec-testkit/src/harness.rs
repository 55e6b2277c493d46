//! Runs the conformance suites against a back end, as a test binary of its own.
//!
//! An adapter describes how to get a fresh, empty store ([`Backend`]), and a test file with
//! `harness = false` hands it to [`Conformance`], which turns every case into a named test —
//! `back_end::suite::case` — run by [`libtest_mimic`], so `cargo test` filters, lists and reports
//! them like any other test. A back end that cannot run here (no database URL, say) says
//! [`Setup::Skipped`] and why: its cases are reported as ignored, with the reason, never as
//! passed — unless [`REQUIRE_SERVICES_VAR`] is set (CI sets it), in which case they fail.
//!
//! ```no_run
//! use acctsec_testkit::harness::{Backend, Conformance, Setup};
//! use acctsec_testkit::MemoryStore;
//!
//! struct Memory;
//!
//! impl Backend for Memory {
//!     type Store = MemoryStore;
//!     fn name(&self) -> &'static str { "memory" }
//!     async fn setup(&self) -> Setup<MemoryStore> { Setup::Ready(MemoryStore::new()) }
//! }
//!
//! // tests/conformance.rs, with `harness = false` for it in Cargo.toml:
//! fn main() -> std::process::ExitCode {
//!     Conformance::from_args().state(Memory).run()
//! }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use acctsec_core::{
    AccountStore, ActivityLog, Outbox, PasswordHistory, ProfileStore, SecurityState, ThrottleStore,
    TokenStore,
};
pub use libtest_mimic::Arguments;
use libtest_mimic::{Completion, Failed, Trial};

use crate::AccountFixture;
use crate::suite;

/// The environment variable that turns a skipped set-up into a failure. CI sets it, so a
/// conformance run that could not reach its server never passes for one that did.
pub const REQUIRE_SERVICES_VAR: &str = "ACCTSEC_TEST_REQUIRE_SERVICES";

/// What a [`Backend`]'s set-up produced.
#[derive(Debug)]
pub enum Setup<S> {
    /// A fresh, empty store.
    Ready(S),
    /// The back end cannot run here, and why (for example "ACCTSEC_TEST_POSTGRES_URL is not
    /// set").
    Skipped(String),
}

/// The accounts a back end holds, and the fixture that creates them — separate values, so an
/// adapter's test can create accounts without implementing the testkit's trait on its own store
/// type from a `tests/` file.
#[derive(Debug, Clone)]
pub struct Accounts<A, F> {
    /// The store under test.
    pub store: A,
    /// Creates accounts in it.
    pub fixture: F,
}

/// How to get a fresh store of one back end, and how to clean up after it.
pub trait Backend: Send + Sync + 'static {
    /// What [`setup`](Self::setup) produces: a store, or for the account suite an
    /// [`Accounts`] pair.
    type Store: Send + Sync + 'static;

    /// The back end's name: the first part of every test name (`sqlite`, `postgres`), so two
    /// back ends can run in one binary.
    fn name(&self) -> &'static str;

    /// A fresh, empty store for one case, or why this back end cannot run here.
    fn setup(&self) -> impl Future<Output = Setup<Self::Store>> + Send;

    /// Cleans up after one case (drop a schema, flush a key prefix). Called whether the case
    /// passed or not, unless it panicked.
    fn teardown(&self, store: &Self::Store) -> impl Future<Output = ()> + Send {
        let _ = store;
        async {}
    }

    /// A store pointed at a closed port, for the case that checks an unreachable server is
    /// reported as [`Unavailable`](acctsec_core::StoreErrorKind::Unavailable); `None` for a back
    /// end with no server (it then has no such case). It must not connect: it is asked once when
    /// the run is planned.
    fn unreachable(&self) -> impl Future<Output = Option<Self::Store>> + Send {
        async { None }
    }
}

/// One conformance case: its name and the function that runs it on a store.
pub struct Case<S> {
    name: &'static str,
    run: fn(S) -> Pin<Box<dyn Future<Output = ()>>>,
}

impl<S> Case<S> {
    /// A case.
    #[must_use]
    pub const fn new(name: &'static str, run: fn(S) -> Pin<Box<dyn Future<Output = ()>>>) -> Self {
        Self { name, run }
    }

    /// Its name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<S> std::fmt::Debug for Case<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

/// The test binary's list of cases: add back ends suite by suite, then [`run`](Self::run).
#[derive(Debug)]
pub struct Conformance {
    args: Arguments,
    trials: Vec<Trial>,
    required: bool,
}

/// Runs `future` on a fresh two-thread runtime, so racing cases really race.
fn block_on<F: Future>(future: F) -> Result<F::Output, Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failed::from(format!("a tokio runtime could not be built: {e}")))?;
    Ok(runtime.block_on(future))
}

/// Whether a skipped set-up must fail the run.
fn services_required() -> bool {
    std::env::var_os(REQUIRE_SERVICES_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

impl Conformance {
    /// An empty run reading `cargo test`'s arguments (filters, `--list`, `--ignored`, …).
    #[must_use]
    pub fn from_args() -> Self {
        Self::with_args(Arguments::from_args())
    }

    /// An empty run with the given arguments.
    #[must_use]
    pub fn with_args(args: Arguments) -> Self {
        Self {
            args,
            trials: Vec::new(),
            required: services_required(),
        }
    }

    /// Whether a set-up that skips fails instead (default: whether [`REQUIRE_SERVICES_VAR`] is
    /// set to something other than empty or `0`).
    #[must_use]
    pub fn require_services(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Adds a suite of the caller's own — `cases` run on `backend`'s fresh stores, as
    /// `back_end::suite::case` — with the same set-up, skipping and teardown as the conformance
    /// suites: for tests of code built on the stores (flows) over every back end.
    #[must_use]
    pub fn suite<B: Backend>(
        mut self,
        backend: B,
        suite: &'static str,
        cases: Vec<Case<Arc<B::Store>>>,
    ) -> Self {
        self.add_cases(&Arc::new(backend), suite, cases, |s| s);
        self
    }

    /// Adds one trial per case, each on a fresh store from `backend`.
    fn add_cases<B: Backend, S: Send + 'static>(
        &mut self,
        backend: &Arc<B>,
        suite: &'static str,
        cases: Vec<Case<S>>,
        view: fn(Arc<B::Store>) -> S,
    ) {
        let required = self.required;
        for case in cases {
            let backend = Arc::clone(backend);
            let name = format!("{}::{suite}::{}", backend.name(), case.name);
            self.trials.push(Trial::ignorable_test(name, move || {
                block_on(run_case(&*backend, case, view, required))?
            }));
        }
    }

    /// Adds `cases` for `backend` under `suite`. Each case sets up a fresh store; a set-up that
    /// skips makes the case ignored, with the reason — or failed, when services are required.
    fn add<B: Backend, S: Send + 'static>(
        mut self,
        backend: &Arc<B>,
        suite: &'static str,
        cases: Vec<Case<S>>,
        unavailable: Case<S>,
        view: fn(Arc<B::Store>) -> S,
    ) -> Self {
        let prefix = format!("{}::{suite}", backend.name());
        self.add_cases(backend, suite, cases, view);
        // A back end with no server (memory, an embedded database) has no such case at all.
        let has_server = block_on(async { backend.unreachable().await.is_some() }).unwrap_or(true);
        if !has_server {
            return self;
        }
        let backend = Arc::clone(backend);
        let name = format!("{prefix}::{}", unavailable.name);
        self.trials.push(Trial::test(name, move || {
            block_on(async move {
                let store = backend.unreachable().await.ok_or_else(|| {
                    Failed::from("the back end stopped offering an unreachable store")
                })?;
                (unavailable.run)(view(Arc::new(store))).await;
                Ok(())
            })?
        }));
        self
    }

    /// The [`TokenStore`] suite.
    #[must_use]
    pub fn tokens<B: Backend>(self, backend: B) -> Self
    where
        B::Store: TokenStore,
    {
        let (cases, unavailable) = suite::token::cases();
        self.add(&Arc::new(backend), "token", cases, unavailable, |s| s)
    }

    /// The [`ThrottleStore`] suite.
    #[must_use]
    pub fn throttles<B: Backend>(self, backend: B) -> Self
    where
        B::Store: ThrottleStore,
    {
        let (cases, unavailable) = suite::throttle::cases();
        self.add(&Arc::new(backend), "throttle", cases, unavailable, |s| s)
    }

    /// The [`ActivityLog`] suite.
    #[must_use]
    pub fn activity<B: Backend>(self, backend: B) -> Self
    where
        B::Store: ActivityLog,
    {
        let (cases, unavailable) = suite::activity::cases();
        self.add(&Arc::new(backend), "activity", cases, unavailable, |s| s)
    }

    /// The [`ProfileStore`] suite.
    #[must_use]
    pub fn profiles<B: Backend>(self, backend: B) -> Self
    where
        B::Store: ProfileStore,
    {
        let (cases, unavailable) = suite::profile::cases();
        self.add(&Arc::new(backend), "profile", cases, unavailable, |s| s)
    }

    /// The [`Outbox`] suite.
    #[must_use]
    pub fn outbox<B: Backend>(self, backend: B) -> Self
    where
        B::Store: Outbox,
    {
        let (cases, unavailable) = suite::outbox::cases();
        self.add(&Arc::new(backend), "outbox", cases, unavailable, |s| s)
    }

    /// The [`PasswordHistory`] suite.
    #[must_use]
    pub fn history<B: Backend>(self, backend: B) -> Self
    where
        B::Store: PasswordHistory,
    {
        let (cases, unavailable) = suite::history::cases();
        self.add(&Arc::new(backend), "history", cases, unavailable, |s| s)
    }

    /// Every suite of acctsec's own state ([`SecurityState`]): tokens, throttles, activity,
    /// profiles, outbox and password history.
    #[must_use]
    pub fn state<B: Backend>(self, backend: B) -> Self
    where
        B::Store: SecurityState,
    {
        let backend = Arc::new(backend);
        let (tokens, t) = suite::token::cases();
        let (throttles, th) = suite::throttle::cases();
        let (activity, a) = suite::activity::cases();
        let (profiles, p) = suite::profile::cases();
        let (outbox, o) = suite::outbox::cases();
        let (history, h) = suite::history::cases();
        self.add(&backend, "token", tokens, t, |s| s)
            .add(&backend, "throttle", throttles, th, |s| s)
            .add(&backend, "activity", activity, a, |s| s)
            .add(&backend, "profile", profiles, p, |s| s)
            .add(&backend, "outbox", outbox, o, |s| s)
            .add(&backend, "history", history, h, |s| s)
    }

    /// The [`AccountStore`] suite, on a back end whose set-up yields the store and its
    /// [`AccountFixture`] as an [`Accounts`] pair.
    #[must_use]
    pub fn accounts<B, A, F>(self, backend: B) -> Self
    where
        B: Backend<Store = Accounts<A, F>>,
        A: AccountStore + 'static,
        F: AccountFixture + 'static,
    {
        let (cases, unavailable) = suite::account::cases();
        self.add(
            &Arc::new(backend),
            "account",
            cases,
            unavailable,
            |pair: Arc<Accounts<A, F>>| suite::account::Pair(pair),
        )
    }

    /// Runs every case added and returns the exit code `cargo test` expects.
    #[must_use]
    pub fn run(self) -> ExitCode {
        libtest_mimic::run(&self.args, self.trials).exit_code()
    }
}

/// Sets up a fresh store and runs `case` on it: ignored (with the reason) when the set-up
/// skips, or failed when services are `required`.
async fn run_case<B: Backend, S>(
    backend: &B,
    case: Case<S>,
    view: fn(Arc<B::Store>) -> S,
    required: bool,
) -> Result<Completion, Failed> {
    let store = match backend.setup().await {
        Setup::Ready(store) => Arc::new(store),
        Setup::Skipped(why) if required => {
            return Err(Failed::from(format!(
                "skipped, but services are required ({REQUIRE_SERVICES_VAR}): {why}"
            )));
        }
        Setup::Skipped(why) => return Ok(Completion::ignored_with(why)),
    };
    (case.run)(view(Arc::clone(&store))).await;
    backend.teardown(&store).await;
    Ok(Completion::Completed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;

    struct Nowhere;

    impl Backend for Nowhere {
        type Store = MemoryStore;

        fn name(&self) -> &'static str {
            "nowhere"
        }

        async fn setup(&self) -> Setup<MemoryStore> {
            Setup::Skipped("ACCTSEC_TEST_NOWHERE_URL is not set".to_owned())
        }
    }

    fn first_token_case() -> Case<Arc<MemoryStore>> {
        suite::token::cases::<Arc<MemoryStore>>().0.remove(0)
    }

    #[test]
    fn a_skipping_set_up_is_reported_as_ignored_never_as_passed() {
        let outcome = block_on(run_case(&Nowhere, first_token_case(), |s| s, false)).unwrap();
        match outcome {
            Ok(Completion::Ignored { reason }) => {
                assert_eq!(
                    reason.as_deref(),
                    Some("ACCTSEC_TEST_NOWHERE_URL is not set")
                );
            }
            Ok(Completion::Completed) => panic!("a skipped set-up passed"),
            Err(e) => panic!("failed: {e:?}"),
        }
    }

    #[test]
    fn a_skipping_set_up_fails_when_services_are_required() {
        let outcome = block_on(run_case(&Nowhere, first_token_case(), |s| s, true)).unwrap();
        let failed = outcome.err().expect("a required service that skips fails");
        assert!(failed.message().unwrap_or_default().contains("not set"));
    }

    struct Here;

    impl Backend for Here {
        type Store = MemoryStore;

        fn name(&self) -> &'static str {
            "here"
        }

        async fn setup(&self) -> Setup<MemoryStore> {
            Setup::Ready(MemoryStore::new())
        }
    }

    #[test]
    fn a_ready_set_up_runs_the_case() {
        let outcome = block_on(run_case(&Here, first_token_case(), |s| s, true)).unwrap();
        assert!(matches!(outcome, Ok(Completion::Completed)));
    }
}

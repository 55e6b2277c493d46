#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod clock;
mod mailer;
mod memory;
mod rng;
pub mod suite;

use std::future::Future;

use acctsec_core::{Account, StoreError};

pub use clock::ManualClock;
pub use mailer::StubMailer;
pub use memory::MemoryStore;
pub use rng::{Failed, Failing, Scripted};

/// What the [`AccountStore`](acctsec_core::AccountStore) cases need besides the trait: a way to
/// create accounts. Hosts own their accounts table, so creating accounts is not part of the
/// plug point; an adapter implements this in its tests.
pub trait AccountFixture: Send + Sync {
    /// Creates `account` as given.
    ///
    /// # Errors
    ///
    /// A [`StoreError`] if the store failed or the account exists.
    fn create_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Runs `future` to completion on a fresh single-threaded runtime (for doctests and examples).
///
/// # Errors
///
/// The I/O error if the runtime could not be built; otherwise the future's output.
pub fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}

/// Makes a fresh store with `factory` and runs one conformance `case` on it, on a two-thread
/// runtime so racing cases really race. The `*_suite!` macros call this once per case.
///
/// # Panics
///
/// When the case finds the store breaking its contract (that is the point), or if the runtime
/// cannot be built.
pub fn run_case<F, Fut, S, C, CFut>(factory: F, case: C)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = S>,
    C: FnOnce(S) -> CFut,
    CFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime can be built");
    runtime.block_on(async {
        let store = factory().await;
        case(store).await;
    });
}

/// Expands to a module of `#[test]`s, one per listed case of one suite module.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite {
    ($module:ident, $factory:expr; $($case:ident),+ $(,)?) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::run_case($factory, $crate::suite::$module::$case);
                }
            )+
        }
    };
}

/// The [`TokenStore`](acctsec_core::TokenStore) suite as named tests. `$factory` is a
/// callable returning a future of a fresh, empty store (see [`store_suite!`]).
#[macro_export]
macro_rules! token_store_suite {
    ($factory:expr) => {
        $crate::__suite!(token, $factory;
            take_unknown_is_none,
            take_is_single_use,
            duplicate_insert_is_conflict,
            expiry_follows_now,
            concurrent_take_has_one_winner,
            revoke_all_is_scoped,
            purge_expired_keeps_live_records,
            debug_hides_digest,
        );
    };
}

/// The [`ThrottleStore`](acctsec_core::ThrottleStore) suite as named tests.
#[macro_export]
macro_rules! throttle_store_suite {
    ($factory:expr) => {
        $crate::__suite!(throttle, $factory;
            get_unknown_is_none,
            hits_count_up_within_window,
            window_follows_now,
            check_limits_with_retry_after,
            concurrent_hits_are_counted_exactly,
            clear_forgets_one_key,
        );
    };
}

/// The [`ActivityLog`](acctsec_core::ActivityLog) suite as named tests.
#[macro_export]
macro_rules! activity_log_suite {
    ($factory:expr) => {
        $crate::__suite!(activity, $factory;
            empty_log_gives_empty_page,
            append_round_trips_event,
            pages_are_newest_first_without_gaps_or_repeats,
            page_limit_is_clamped,
        );
    };
}

/// The [`ProfileStore`](acctsec_core::ProfileStore) suite as named tests.
#[macro_export]
macro_rules! profile_store_suite {
    ($factory:expr) => {
        $crate::__suite!(profile, $factory;
            load_unknown_is_none,
            saves_count_versions_up,
            create_existing_is_conflict,
            stale_version_is_conflict,
            concurrent_saves_have_one_winner,
            remove_deletes,
        );
    };
}

/// The [`Outbox`](acctsec_core::Outbox) suite as named tests.
#[macro_export]
macro_rules! outbox_suite {
    ($factory:expr) => {
        $crate::__suite!(outbox, $factory;
            get_unknown_is_none,
            enqueue_is_idempotent,
            claim_leases_due_messages_in_order,
            lapsed_lease_is_claimed_again,
            lapsed_unclaimed_lease_still_completes,
            completed_is_never_claimed_again,
            retry_reschedules,
            dead_letter_is_final,
            concurrent_claims_are_disjoint,
            claimed_message_round_trips_and_hides_bodies,
        );
    };
}

/// The [`AccountStore`](acctsec_core::AccountStore) suite as named tests; the store must also
/// implement [`AccountFixture`].
#[macro_export]
macro_rules! account_store_suite {
    ($factory:expr) => {
        $crate::__suite!(account, $factory;
            unknown_is_none,
            find_by_email_uses_the_normalised_form,
            replace_hash_is_compare_and_swap,
            concurrent_replacements_have_one_winner,
            end_sessions_bumps_the_epoch,
        );
    };
}

/// Every security-state suite (tokens, throttles, activity, profiles, outbox) as named tests, in
/// one module per trait.
///
/// ```ignore
/// // In an adapter's tests/conformance.rs:
/// async fn fresh() -> MyStore { MyStore::connect_to_a_fresh_schema().await }
/// acctsec_testkit::store_suite!(fresh);
/// acctsec_testkit::account_store_suite!(fresh); // if it also holds accounts
/// ```
#[macro_export]
macro_rules! store_suite {
    ($factory:expr) => {
        $crate::token_store_suite!($factory);
        $crate::throttle_store_suite!($factory);
        $crate::activity_log_suite!($factory);
        $crate::profile_store_suite!($factory);
        $crate::outbox_suite!($factory);
    };
}

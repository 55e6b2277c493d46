#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod clock;
pub mod harness;
mod mailer;
mod memory;
mod recorder;
mod rng;
pub mod suite;

use std::future::Future;

use acctsec_core::{Account, StoreError};

pub use clock::ManualClock;
pub use mailer::StubMailer;
pub use memory::MemoryStore;
pub use recorder::Recorder;
pub use rng::{Failed, Failing, Scripted};

/// What the [`AccountStore`](acctsec_core::AccountStore) cases need besides the trait: a way to
/// create accounts. Hosts own their accounts table, so creating accounts is not part of the
/// plug point; an adapter's tests give one as the `fixture` of a
/// [`harness::Accounts`] pair (a separate value, so no foreign trait is implemented on a foreign
/// type).
///
/// `create_account` stores the account as given. Where the back end's table allows it, that
/// includes a second account whose normalised email another account has (a host's table without
/// a unique index); where its schema refuses that, it returns a conflict, and the suite checks
/// the refusal instead.
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

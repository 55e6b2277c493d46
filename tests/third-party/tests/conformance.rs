//! Every conformance suite through the harness, from a crate of its own, on a store type this
//! crate does not own (`Recorder<MemoryStore>`, as a third party's `TheirStore` would be) and an
//! account fixture it does own. Implementing the testkit's `AccountFixture` trait on the foreign
//! store type would be E0117 here; the fixture is a separate value instead.

use std::process::ExitCode;

use acctsec_core::{Account, StoreError};
use acctsec_testkit::harness::{Accounts, Backend, Conformance, Setup};
use acctsec_testkit::{AccountFixture, MemoryStore, Recorder};

/// How this "adapter" creates accounts for the account suite: its own type, so the impl is
/// allowed.
struct Fixture(MemoryStore);

impl AccountFixture for Fixture {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        self.0.create_account(account).await
    }
}

struct State;

impl Backend for State {
    type Store = Recorder<MemoryStore>;

    fn name(&self) -> &'static str {
        "third_party"
    }

    async fn setup(&self) -> Setup<Self::Store> {
        Setup::Ready(Recorder::new(MemoryStore::new()))
    }

    async fn teardown(&self, store: &Self::Store) {
        // A real adapter drops its schema here; this one checks the case used the store at all.
        assert!(!store.take_ops().is_empty(), "a case that touched nothing");
    }
}

struct AccountsBackend;

impl Backend for AccountsBackend {
    type Store = Accounts<Recorder<MemoryStore>, Fixture>;

    fn name(&self) -> &'static str {
        "third_party"
    }

    async fn setup(&self) -> Setup<Self::Store> {
        let memory = MemoryStore::new();
        Setup::Ready(Accounts {
            store: Recorder::new(memory.clone()),
            fixture: Fixture(memory),
        })
    }
}

fn main() -> ExitCode {
    Conformance::from_args()
        .state(State)
        .accounts(AccountsBackend)
        .run()
}

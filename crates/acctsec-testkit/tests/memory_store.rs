//! `MemoryStore` runs every conformance case on every `cargo test`.

use std::process::ExitCode;

use acctsec_testkit::MemoryStore;
use acctsec_testkit::harness::{Accounts, Backend, Conformance, Setup};

struct Memory;

impl Backend for Memory {
    type Store = MemoryStore;

    fn name(&self) -> &'static str {
        "memory"
    }

    async fn setup(&self) -> Setup<MemoryStore> {
        Setup::Ready(MemoryStore::new())
    }
}

struct MemoryAccounts;

impl Backend for MemoryAccounts {
    type Store = Accounts<MemoryStore, MemoryStore>;

    fn name(&self) -> &'static str {
        "memory"
    }

    async fn setup(&self) -> Setup<Self::Store> {
        let store = MemoryStore::new();
        Setup::Ready(Accounts {
            store: store.clone(),
            fixture: store,
        })
    }
}

fn main() -> ExitCode {
    Conformance::from_args()
        .state(Memory)
        .accounts(MemoryAccounts)
        .run()
}

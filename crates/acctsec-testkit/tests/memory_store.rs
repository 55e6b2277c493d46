//! `MemoryStore` runs every conformance case on every `cargo test`.

use acctsec_testkit::MemoryStore;

async fn fresh() -> MemoryStore {
    MemoryStore::new()
}

acctsec_testkit::store_suite!(fresh);
acctsec_testkit::account_store_suite!(fresh);

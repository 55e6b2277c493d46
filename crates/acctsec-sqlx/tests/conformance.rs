//! The whole conformance suite on SQLite (in memory and in a file), always, and on PostgreSQL
//! when `ACCTSEC_TEST_POSTGRES_URL` is set (each case in a schema of its own, dropped after it).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use acctsec_core::{Account, StoreError};
use acctsec_testkit::AccountFixture;
use acctsec_testkit::harness::{Accounts, Backend, Conformance, Setup};

/// Creates accounts through the adapter's own accounts table.
struct Fixture<S>(S);

macro_rules! fixture_for {
    ($store:ty) => {
        impl AccountFixture for Fixture<$store> {
            async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
                self.0.create_account(account).await
            }
        }
    };
}

/// A name no other case in this run uses.
fn fresh_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use acctsec_sqlx::SqliteStore;

    fixture_for!(SqliteStore);

    pub(crate) struct Memory;

    impl Backend for Memory {
        type Store = SqliteStore;

        fn name(&self) -> &'static str {
            "sqlite_memory"
        }

        async fn setup(&self) -> Setup<SqliteStore> {
            match SqliteStore::in_memory().await {
                Ok(store) => Setup::Ready(store),
                Err(e) => Setup::Skipped(format!("SQLite did not start: {e}")),
            }
        }
    }

    /// A database file in the system's temporary directory, removed after the case.
    pub(crate) struct File;

    fn path_of(store: &SqliteStore) -> Option<String> {
        store
            .pool()
            .connect_options()
            .get_filename()
            .to_str()
            .map(str::to_owned)
    }

    impl Backend for File {
        type Store = SqliteStore;

        fn name(&self) -> &'static str {
            "sqlite_file"
        }

        async fn setup(&self) -> Setup<SqliteStore> {
            let path = std::env::temp_dir().join(format!("{}.db", fresh_name("acctsec")));
            match SqliteStore::connect(&format!("sqlite://{}", path.display())).await {
                Ok(store) => Setup::Ready(store),
                Err(e) => Setup::Skipped(format!("SQLite file could not be opened: {e}")),
            }
        }

        async fn teardown(&self, store: &SqliteStore) {
            store.pool().close().await;
            if let Some(path) = path_of(store) {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }

    pub(crate) struct MemoryAccounts;

    impl Backend for MemoryAccounts {
        type Store = Accounts<SqliteStore, Fixture<SqliteStore>>;

        fn name(&self) -> &'static str {
            "sqlite_memory"
        }

        async fn setup(&self) -> Setup<Self::Store> {
            match Memory.setup().await {
                Setup::Ready(store) => Setup::Ready(Accounts {
                    store: store.clone(),
                    fixture: Fixture(store),
                }),
                Setup::Skipped(why) => Setup::Skipped(why),
            }
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use acctsec_sqlx::PostgresStore;

    fixture_for!(PostgresStore);

    pub(crate) const URL_VAR: &str = "ACCTSEC_TEST_POSTGRES_URL";

    /// Each case in a fresh schema of the test database, dropped afterwards.
    pub(crate) struct Postgres;

    impl Backend for Postgres {
        type Store = PostgresStore;

        fn name(&self) -> &'static str {
            "postgres"
        }

        async fn setup(&self) -> Setup<PostgresStore> {
            let Ok(url) = std::env::var(URL_VAR) else {
                return Setup::Skipped(format!("{URL_VAR} is not set"));
            };
            match PostgresStore::connect_in_schema(&url, &fresh_name("acctsec_test")).await {
                Ok(store) => Setup::Ready(store),
                Err(e) => Setup::Skipped(format!("PostgreSQL at {URL_VAR} did not answer: {e}")),
            }
        }

        async fn teardown(&self, store: &PostgresStore) {
            use sqlx::Executor;
            let schema: Result<(String,), _> = sqlx::query_as("SELECT current_schema()")
                .fetch_one(store.pool())
                .await;
            if let Ok((schema,)) = schema {
                let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                let _ = store.pool().execute(sqlx::AssertSqlSafe(drop)).await;
            }
            store.pool().close().await;
        }

        async fn unreachable(&self) -> Option<PostgresStore> {
            // Port 9 (discard) on loopback: nothing listens there.
            PostgresStore::connect_lazy("postgres://acctsec@127.0.0.1:9/none").ok()
        }
    }

    pub(crate) struct PostgresAccounts;

    impl Backend for PostgresAccounts {
        type Store = Accounts<PostgresStore, Fixture<PostgresStore>>;

        fn name(&self) -> &'static str {
            "postgres"
        }

        async fn setup(&self) -> Setup<Self::Store> {
            match Postgres.setup().await {
                Setup::Ready(store) => Setup::Ready(Accounts {
                    store: store.clone(),
                    fixture: Fixture(store),
                }),
                Setup::Skipped(why) => Setup::Skipped(why),
            }
        }

        async fn teardown(&self, store: &Self::Store) {
            Postgres.teardown(&store.store).await;
        }

        async fn unreachable(&self) -> Option<Self::Store> {
            let store = Postgres.unreachable().await?;
            Some(Accounts {
                store: store.clone(),
                fixture: Fixture(store),
            })
        }
    }
}

fn main() -> ExitCode {
    let run = Conformance::from_args();
    #[cfg(feature = "sqlite")]
    let run = run
        .state(sqlite::Memory)
        .state(sqlite::File)
        .accounts(sqlite::MemoryAccounts);
    #[cfg(feature = "postgres")]
    let run = run
        .state(postgres::Postgres)
        .accounts(postgres::PostgresAccounts);
    run.run()
}
